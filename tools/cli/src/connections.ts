/**
 * The connections of the CLI verbs, from the same variables and the same validation as the
 * services': KAFKA_* (brokers, TLS, SASL) through libs/stream, CASSANDRA_* (contact points, data
 * centre, credentials, TLS) through the store's. A bad or missing variable is a ConfigError naming it.
 */
import type cassandra from 'cassandra-driver';
import { baseConfigSchema, createKafkajsClient, kafkaConnection, loadConfig, type KafkaClient } from '@fleetstream/stream';
import { cassandraConfigSchema, cassandraConnection, createCassandraClient } from '@fleetstream/store/lib';

const only = (prefix: string, e: NodeJS.ProcessEnv) => Object.fromEntries(Object.entries(e).filter(([k]) => k.startsWith(prefix)));

/** The Kafka client from the KAFKA_* variables only (a CLI verb has no health port or log level). */
export function kafkaFromEnv(clientId = 'fleetstream-cli', e: NodeJS.ProcessEnv = process.env): KafkaClient {
  return createKafkajsClient(kafkaConnection(loadConfig(baseConfigSchema, only('KAFKA_', e)), clientId));
}

/** The CASSANDRA_* settings, checked (the keyspace defaults to fleetstream). */
export function cassandraConfigFromEnv(e: NodeJS.ProcessEnv = process.env) {
  return loadConfig(cassandraConfigSchema, only('CASSANDRA_', e));
}

/** A Cassandra client from the CASSANDRA_* variables, with TLS and credentials when they are set. */
export function cassandraFromEnv(config = cassandraConfigFromEnv()): cassandra.Client {
  return createCassandraClient(cassandraConnection(config));
}
