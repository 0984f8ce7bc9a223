import { z } from 'zod';
import { baseConfigShape, consumerConfigShape, DLQ_TOPIC, env } from '@fleetstream/stream';

/** The store's environment: the consumer's, plus Cassandra and the sink's concurrency ceiling. */
export const storeConfigSchema = z.object({
  ...baseConfigShape,
  ...consumerConfigShape,
  INPUT_TOPIC: env.str('telemetry.enriched'),
  DLQ_TOPIC: env.str(DLQ_TOPIC),
  CASSANDRA_CONTACT_POINTS: env.hostPorts(),
  CASSANDRA_LOCAL_DC: env.str('datacenter1'),
  CASSANDRA_KEYSPACE: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,47}$/, { message: 'must be a Cassandra identifier (letter, then letters, digits, _)' }).default('fleetstream'),
  CASSANDRA_USERNAME: env.optionalStr(),
  CASSANDRA_PASSWORD: env.optionalStr(),
  /** TLS to Cassandra's native port; CASSANDRA_SSL_CA_FILE (PEM) trusts a private CA. */
  CASSANDRA_SSL: env.bool(false),
  CASSANDRA_SSL_CA_FILE: env.optionalStr(),
  STORE_MAX_CONCURRENCY: env.int(64, { min: 1, max: 4096 }),
  STORE_BATCH_MAX_ROWS: env.int(16, { min: 1, max: 500 }),
  /** Used by the topology's migrations (default_time_to_live); read here so one env describes both. */
  POSITIONS_TTL_SECONDS: env.int(7_776_000, { min: 0 }),
});

export type StoreConfig = z.infer<typeof storeConfigSchema>;
