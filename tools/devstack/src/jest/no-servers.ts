/**
 * jest setupFiles of the unit project: unit tests get no server. The addresses of Kafka, Cassandra
 * and PostgreSQL point at port 1 (nothing listens there), so a test that needs a server but does
 * not say `@servers` fails on any machine instead of passing where a devstack happens to run.
 * Only the test file's own process.env is changed (jest gives each file a copy).
 */
process.env.KAFKA_BROKERS = '127.0.0.1:1';
process.env.CASSANDRA_CONTACT_POINTS = '127.0.0.1:1';
process.env.PG_URL = 'postgres://postgres@127.0.0.1:1/none';
