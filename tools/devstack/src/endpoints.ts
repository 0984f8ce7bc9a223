/**
 * Where tests find the servers: KAFKA_BROKERS / CASSANDRA_CONTACT_POINTS (set by the test runner,
 * by jest's globalSetup, or by the user to use their own servers) and PG_URL.
 */
export function endpoints(): { kafkaBrokers: string[]; cassandraContactPoints: string[] } {
  const k = process.env.KAFKA_BROKERS;
  const c = process.env.CASSANDRA_CONTACT_POINTS;
  if (!k || !c) throw new Error('KAFKA_BROKERS and CASSANDRA_CONTACT_POINTS are not set: run tests through `npm test` or jest (globalSetup starts the devstack)');
  return { kafkaBrokers: k.split(','), cassandraContactPoints: c.split(',') };
}

export const pgUrl = (): string => process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
