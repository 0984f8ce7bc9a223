import { z } from 'zod';
import { baseConfigShape, consumerConfigShape, env, exactlyOnceConfigShape } from '@fleetstream/stream';

/** Configuration of enrich (every topic name is configurable, so tests use their own). */
export const enrichConfigSchema = z.object({
  ...baseConfigShape,
  ...consumerConfigShape,
  ...exactlyOnceConfigShape,
  INPUT_TOPIC: env.str('telemetry.parsed'),
  OUTPUT_TOPIC: env.str('telemetry.enriched'),
  REFERENCE_TOPIC: env.str('reference.assets'),
  DLQ_TOPIC: env.str('telemetry.dlq'),
  ASSET_API_URL: env.url('http://127.0.0.1:8090'),
  /** Keep-alive connections to the asset API (one request each at a time). */
  ASSET_API_CONNECTIONS: env.int(200, { min: 1, max: 10_000 }),
  ASSET_API_CONNECT_TIMEOUT_MS: env.int(1_000, { min: 1, max: 60_000 }),
  /** Headers and body timeout of one call. */
  ASSET_API_READ_TIMEOUT_MS: env.int(2_000, { min: 1, max: 60_000 }),
  ENRICH_CAPACITY: env.int(200, { min: 1, max: 100_000 }),
  ENRICH_TIMEOUT_MS: env.int(1_000, { min: 1, max: 600_000 }),
  ENRICH_RETRY_ATTEMPTS: env.int(3, { min: 1, max: 20 }),
  ENRICH_RETRY_BASE_MS: env.int(50, { min: 0, max: 60_000 }),
  ENRICH_RETRY_MAX_MS: env.int(500, { min: 0, max: 600_000 }),
  ENRICH_CACHE_TTL_MS: env.int(300_000, { min: 0 }),
  ENRICH_NEGATIVE_CACHE_TTL_MS: env.int(60_000, { min: 0 }),
  ENRICH_CACHE_MAX_ENTRIES: env.int(100_000, { min: 1 }),
  /** emit: a failed enrichment is emitted as partial/missing; dlq: it goes to the DLQ. */
  ENRICH_FAILURE_POLICY: z.enum(['emit', 'dlq'], { message: 'must be emit or dlq' }).default('emit'),
  /**
   * Version of the enriched event written to OUTPUT_TOPIC (libs/telemetry, enriched-versions.ts).
   * Switch to a new version only once every reader of OUTPUT_TOPIC accepts it.
   */
  ENRICHED_SCHEMA_VERSION: z.enum(['1', '2'], { message: 'must be 1 or 2' }).default('1').transform(Number).pipe(z.union([z.literal(1), z.literal(2)])),
});

export type EnrichConfig = z.infer<typeof enrichConfigSchema>;
