import { randomUUID } from 'node:crypto';
import { createStage, exactlyOnceFromConfig, kafkaSink, type ConsumerRunner, type Service, type ServiceDeps } from '@fleetstream/stream';
import { AssetCache } from './asset-cache.ts';
import type { EnrichConfig } from './config.ts';
import { createEnrichMetrics, type EnrichMetrics } from './enrich-metrics.ts';
import { createEnrichTransform } from './enrich-transform.ts';
import { traceAssetCalls } from './http-tracing.ts';
import { ReferenceTable } from './reference-table.ts';
import { remoteEnrichmentFromConfig } from './remote-enrichment.ts';

/** The running enrich service, with its parts exposed for tests. */
export interface EnrichService extends Service {
  runner: ConsumerRunner;
  table: ReferenceTable;
  cache: AssetCache;
  metrics: EnrichMetrics;
}

/**
 * enrich: telemetry.parsed + reference.assets -> telemetry.enriched | telemetry.dlq.
 *
 * Start: the reference table is read from the beginning and must catch up (readiness
 * `reference-table`) before the consumer of telemetry.parsed starts, so no event is enriched from
 * a half-built table. At-least-once: outputs and dead letters go out in one acks=all request before
 * the chunk's offsets are committable; with EXACTLY_ONCE they and the offsets go in one transaction.
 */
export function createEnrichService(deps: ServiceDeps<EnrichConfig>): EnrichService {
  const { config, logger, registry, metrics: core } = deps;
  const service = core.service;
  const metrics = createEnrichMetrics(registry, service);
  const table = new ReferenceTable({
    kafka: deps.kafka,
    topic: config.REFERENCE_TOPIC,
    groupId: `fleetstream-${deps.name}-reference-${randomUUID()}`,
    logger: logger.child({ component: 'reference-table' }),
    onSize: (size) => metrics.tableSize.set({ service }, size),
  });
  const cache = new AssetCache({ ttlMs: config.ENRICH_CACHE_TTL_MS, negativeTtlMs: config.ENRICH_NEGATIVE_CACHE_TTL_MS, maxEntries: config.ENRICH_CACHE_MAX_ENTRIES });
  const { client, operator } = remoteEnrichmentFromConfig(config, { cache, metrics, core });
  const transform = createEnrichTransform({ outputTopic: config.OUTPUT_TOPIC, table, cache, operator, metrics, service, schemaVersion: config.ENRICHED_SCHEMA_VERSION });
  let untrace: () => void = () => undefined;
  const stage = createStage(deps, {
    input: { topics: [config.INPUT_TOPIC] },
    transform,
    sink: kafkaSink(deps, { exactlyOnce: exactlyOnceFromConfig(deps.name, config) }),
    ready: { 'reference-table': () => table.caughtUp },
    before: async () => {
      untrace = await traceAssetCalls();
      await table.start();
      await table.whenCaughtUp();
    },
    after: async () => {
      await table.stop();
      await client.close();
      untrace();
    },
  });
  return { ...stage, table, cache, metrics };
}
