import { z } from 'zod';
import { baseConfigShape, consumerConfigShape, DLQ_TOPIC, env } from '@fleetstream/stream';

/** Where the write concurrency starts when STORE_INITIAL_CONCURRENCY is not set (clamped to [min, max]). */
export const DEFAULT_INITIAL_CONCURRENCY = 8;

/** How to reach Cassandra (CASSANDRA_*): the store's, and the CLI verbs' that read or set up Cassandra. */
export const cassandraConfigShape = {
  CASSANDRA_CONTACT_POINTS: env.hostPorts(),
  CASSANDRA_LOCAL_DC: env.str('datacenter1'),
  CASSANDRA_KEYSPACE: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,47}$/, { message: 'must be a Cassandra identifier (letter, then letters, digits, _)' }).default('fleetstream'),
  CASSANDRA_USERNAME: env.optionalStr(),
  CASSANDRA_PASSWORD: env.optionalStr(),
  /** TLS to Cassandra's native port; CASSANDRA_SSL_CA_FILE (PEM) trusts a private CA. */
  CASSANDRA_SSL: env.bool(false),
  CASSANDRA_SSL_CA_FILE: env.optionalStr(),
};

/** The CASSANDRA_* variables alone, for tools that only talk to Cassandra. */
export const cassandraConfigSchema = z.object(cassandraConfigShape);

/** The store's environment: the consumer's, plus Cassandra and the sink's adaptive concurrency. */
export const storeConfigSchema = z
  .object({
    ...baseConfigShape,
    ...consumerConfigShape,
    /**
     * Records per chunk: the store writes one device_days and one asset_latest_state row per device
     * per chunk, so larger chunks mean fewer calls per row (2,000: ~2.2x the rows/s of 500 in the bench).
     */
    MAX_RECORDS_PER_BATCH: env.int(2_000, { min: 1, max: 100_000 }),
    INPUT_TOPIC: env.str('telemetry.enriched'),
    DLQ_TOPIC: env.str(DLQ_TOPIC),
    ...cassandraConfigShape,
    /** Writes in flight: the adaptive limit stays in [MIN, MAX] and starts at INITIAL. */
    STORE_MIN_CONCURRENCY: env.int(1, { min: 1, max: 4096 }),
    STORE_MAX_CONCURRENCY: env.int(64, { min: 1, max: 4096 }),
    STORE_INITIAL_CONCURRENCY: z.coerce.number({ message: 'must be an integer' }).int({ message: 'must be an integer' }).min(1, { message: 'must be >= 1' }).max(4096, { message: 'must be <= 4096' }).optional(),
    /** Slow start: the limit doubles per window of writes until the first overload, then grows by 1 per window. */
    STORE_SLOW_START: env.bool(true),
    STORE_BATCH_MAX_ROWS: env.int(16, { min: 1, max: 500 }),
    /** Used by the topology's migrations (default_time_to_live); read here so one env describes both. */
    POSITIONS_TTL_SECONDS: env.int(7_776_000, { min: 0 }),
  })
  .superRefine((c, ctx) => {
    if (c.STORE_MIN_CONCURRENCY > c.STORE_MAX_CONCURRENCY) {
      ctx.addIssue({ code: 'custom', path: ['STORE_MIN_CONCURRENCY'], message: `must be <= STORE_MAX_CONCURRENCY (${c.STORE_MAX_CONCURRENCY})` });
    }
    const initial = c.STORE_INITIAL_CONCURRENCY;
    if (initial !== undefined && (initial < c.STORE_MIN_CONCURRENCY || initial > c.STORE_MAX_CONCURRENCY)) {
      ctx.addIssue({ code: 'custom', path: ['STORE_INITIAL_CONCURRENCY'], message: `must be between STORE_MIN_CONCURRENCY (${c.STORE_MIN_CONCURRENCY}) and STORE_MAX_CONCURRENCY (${c.STORE_MAX_CONCURRENCY})` });
    }
  });

export type StoreConfig = z.infer<typeof storeConfigSchema>;
