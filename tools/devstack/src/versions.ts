/**
 * Server versions of the devstack. Kafka 3.9 is the last 3.x line: kafkajs 2.2.4 speaks protocol
 * versions that Kafka 4 removed in part (KIP-896), so the devstack pins 3.9 (see the README).
 */
export const versions = {
  kafka: '3.9.1',
  cassandra: '5.0.6',
} as const;

export const ports = {
  kafka: Number(process.env.FLEETSTREAM_KAFKA_PORT ?? 19092),
  kafkaController: Number(process.env.FLEETSTREAM_KAFKA_CONTROLLER_PORT ?? 19093),
  cassandra: Number(process.env.FLEETSTREAM_CASSANDRA_PORT ?? 19042),
  cassandraStorage: Number(process.env.FLEETSTREAM_CASSANDRA_STORAGE_PORT ?? 17000),
  cassandraJmx: Number(process.env.FLEETSTREAM_CASSANDRA_JMX_PORT ?? 17199),
} as const;
