import { DevstackError } from './errors.ts';

/** The Kafka version the devstack runs when FLEETSTREAM_KAFKA_VERSION is not set. */
export const DEFAULT_KAFKA_VERSION = '4.4.0';

/**
 * The Kafka versions the devstack can run: the 3.9 line (the last 3.x, for users on older
 * clusters) and 4.x. Older lines lack what the devstack's config and the clients rely on
 * (KRaft with SCRAM at format time, static quorum voters).
 */
const KAFKA_VERSION = /^(3\.9|4\.\d+)\.\d+$/;

/**
 * The Kafka version from FLEETSTREAM_KAFKA_VERSION (default DEFAULT_KAFKA_VERSION); a version
 * outside the lines above fails with the variable's name and the rule.
 */
export function kafkaVersion(env: NodeJS.ProcessEnv = process.env): string {
  const value = env.FLEETSTREAM_KAFKA_VERSION?.trim() || DEFAULT_KAFKA_VERSION;
  if (!KAFKA_VERSION.test(value)) {
    throw new DevstackError('DEVSTACK_INVALID_OPTION', `FLEETSTREAM_KAFKA_VERSION: must be a Kafka 3.9.x or 4.x release (e.g. 3.9.1, 4.1.1, 4.4.0), got '${value}'`);
  }
  return value;
}

/** The major line of a Kafka version: 3 or 4 (its logging backend and a few settings differ). */
export function kafkaMajor(version: string): 3 | 4 {
  return version.startsWith('3.') ? 3 : 4;
}

/** Server versions of the devstack; Kafka's is read from the environment when asked for. */
export const versions = {
  get kafka(): string {
    return kafkaVersion();
  },
  cassandra: '5.0.6',
};

export const ports = {
  kafka: Number(process.env.FLEETSTREAM_KAFKA_PORT ?? 19092),
  kafkaController: Number(process.env.FLEETSTREAM_KAFKA_CONTROLLER_PORT ?? 19093),
  cassandra: Number(process.env.FLEETSTREAM_CASSANDRA_PORT ?? 19042),
  cassandraStorage: Number(process.env.FLEETSTREAM_CASSANDRA_STORAGE_PORT ?? 17000),
  cassandraJmx: Number(process.env.FLEETSTREAM_CASSANDRA_JMX_PORT ?? 17199),
} as const;
