import { randomUUID } from 'node:crypto';
import {
  createConsumerService,
  DlqWriter,
  kafkaStageHandler,
  type ConsumerRunner,
  type Service,
  type ServiceDeps,
} from '@fleetstream/stream';
import { AssetApiClient } from './asset-client.ts';
import { AssetCache } from './asset-cache.ts';
import type { EnrichConfig } from './config.ts';
import { createEnrichMetrics, type EnrichMetrics } from './enrich-metrics.ts';
import { createEnrichTransform } from './enrich-transform.ts';
import { ReferenceTable } from './reference-table.ts';
import { createRemoteEnrichment } from './remote-enrichment.ts';

/** The running enrich service, with its parts exposed for tests. */
export interface EnrichService extends Service {
  runner: ConsumerRunner;
  table: ReferenceTable;
  cache: AssetCache;
  metrics: EnrichMetrics;
}

/**
 * telemetry.parsed + reference.assets -> telemetry.enriched | telemetry.dlq.
 *
 * Start: the reference table is read from the beginning and must catch up (readiness
 * `reference-table`) before the consumer of telemetry.parsed starts, so no event is enriched from
 * a half-built table. At-least-once: outputs and dead letters go out in one acks=all request before
 * the chunk's offsets are committable.
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
  deps.health.setReadiness('reference-table', () => table.caughtUp);
  const cache = new AssetCache({ ttlMs: config.ENRICH_CACHE_TTL_MS, negativeTtlMs: config.ENRICH_NEGATIVE_CACHE_TTL_MS, maxEntries: config.ENRICH_CACHE_MAX_ENTRIES });
  const client = new AssetApiClient({
    url: config.ASSET_API_URL,
    connections: config.ASSET_API_CONNECTIONS,
    connectTimeoutMs: config.ASSET_API_CONNECT_TIMEOUT_MS,
    readTimeoutMs: config.ASSET_API_READ_TIMEOUT_MS,
  });
  const { operator } = createRemoteEnrichment({
    lookup: (id) => client.lookup(id),
    cache,
    metrics,
    core,
    capacity: config.ENRICH_CAPACITY,
    timeoutMs: config.ENRICH_TIMEOUT_MS,
    retry: { attempts: config.ENRICH_RETRY_ATTEMPTS, baseMs: config.ENRICH_RETRY_BASE_MS, maxMs: config.ENRICH_RETRY_MAX_MS },
    failurePolicy: config.ENRICH_FAILURE_POLICY,
  });
  const producer = deps.kafka.producer();
  const dlq = new DlqWriter(producer, core, { topic: config.DLQ_TOPIC });
  const transform = createEnrichTransform({ outputTopic: config.OUTPUT_TOPIC, table, cache, operator, metrics, service, schemaVersion: config.ENRICHED_SCHEMA_VERSION });
  const consumer = createConsumerService(deps, {
    topics: [config.INPUT_TOPIC],
    handler: kafkaStageHandler({ transform, producer, dlq, metrics: core }),
    before: async () => {
      await producer.connect();
      await table.start();
      await table.whenCaughtUp();
    },
    after: async () => {
      await producer.disconnect();
      await table.stop();
      await client.close();
    },
  });
  return { ...consumer, table, cache, metrics };
}
