import { StreamError, type AsyncFailure, type AsyncOperator, type DeadLetter, type InboundRecord, type OutboundRecord, type TransformResult } from '@fleetstream/stream';
import type { AssetCache } from './asset-cache.ts';
import type { EnrichMetrics } from './enrich-metrics.ts';
import { EnrichError } from './errors.ts';
import { ENRICHED_EVENT_SCHEMA_VERSION, SCHEMA_VERSION_HEADER, type EnrichedSchemaVersion, type TelemetryEvent } from '@fleetstream/telemetry';
import { decodeParsedEvent, enrichAndEncode, enrichmentOf, type Asset, type Enrichment } from './event.ts';


/** The fallback of the remote operator: stale cached data -> partial, nothing -> missing. */
export function fallbackResolution(cache: AssetCache, deviceId: string): Enrichment {
  const stale = cache.stale(deviceId);
  return stale ? { asset: stale, status: 'partial', source: 'fallback' } : { asset: null, status: 'missing', source: 'fallback' };
}

/** The DLQ error for a failed lookup (ENRICH_FAILURE_POLICY=dlq). */
export function failureError(deviceId: string, failure: AsyncFailure): EnrichError {
  return failure.kind === 'timeout'
    ? new EnrichError('ENRICH_TIMEOUT', `enrichment of ${deviceId} passed its deadline`)
    : new EnrichError('ENRICH_FAILED', `enrichment of ${deviceId} failed after ${failure.attempts} attempt(s)`, { cause: failure.error });
}

export interface EnrichTransformOptions {
  outputTopic: string;
  table: { get(deviceId: string): Asset | undefined };
  cache: AssetCache;
  /** Remote lookups, one item per distinct device id of a chunk. */
  operator: AsyncOperator<string, Enrichment>;
  metrics: EnrichMetrics;
  service: string;
  /** Version of the enriched events written (default ENRICHED_EVENT_SCHEMA_VERSION). */
  schemaVersion?: EnrichedSchemaVersion;
}

/**
 * The transformation: parse each value once, look up the table then the cache synchronously, send
 * only the distinct missing devices through the async operator, and build the outputs in input
 * order (so per-device order holds however the operator's calls complete). Unparseable records and, under
 * the dlq policy, failed lookups become dead letters; nothing is dropped.
 */
export function createEnrichTransform(o: EnrichTransformOptions): (records: InboundRecord[]) => Promise<TransformResult> {
  const { metrics, service } = o;
  const label = { service };
  const version = o.schemaVersion ?? ENRICHED_EVENT_SCHEMA_VERSION;
  const versionHeader = String(version);
  return async (records) => {
    const n = records.length;
    const dead: DeadLetter[] = [];
    const events = new Array<TelemetryEvent | undefined>(n);
    const resolved = new Array<Enrichment | undefined>(n);
    const misses = new Map<string, number[]>();
    let hits = 0;
    let cacheHits = 0;
    let missCount = 0;
    let coalesced = 0;
    for (let i = 0; i < n; i++) {
      const record = records[i] as InboundRecord;
      let event: TelemetryEvent;
      try {
        event = decodeParsedEvent(record.value);
      } catch (error) {
        dead.push({ record, error });
        continue;
      }
      events[i] = event;
      const id = event.deviceId;
      const fromTable = o.table.get(id);
      if (fromTable !== undefined) {
        hits++;
        resolved[i] = enrichmentOf(fromTable, 'table');
        continue;
      }
      missCount++;
      const cached = o.cache.get(id);
      if (cached !== undefined) {
        cacheHits++;
        resolved[i] = enrichmentOf(cached, 'cache');
        continue;
      }
      const waiting = misses.get(id);
      if (waiting) {
        coalesced++;
        waiting.push(i);
      } else {
        misses.set(id, [i]);
      }
    }
    if (hits > 0) metrics.tableHits.inc(label, hits);
    if (missCount > 0) metrics.tableMisses.inc(label, missCount);
    if (cacheHits > 0) metrics.cacheHits.inc(label, cacheHits);
    if (coalesced > 0) metrics.coalesced.inc(label, coalesced);

    const failed = new Array<EnrichError | undefined>(n);
    if (misses.size > 0) {
      const results = await o.operator.process([...misses.keys()]);
      for (const r of results) {
        const indexes = misses.get(r.item) as number[];
        if (r.ok) {
          for (const i of indexes) resolved[i] = r.value;
        } else {
          const error = failureError(r.item, r.failure);
          for (const i of indexes) failed[i] = error;
        }
      }
    }

    const out: OutboundRecord[] = [];
    let count = 0;
    for (let i = 0; i < n; i++) {
      const event = events[i];
      if (event === undefined) continue;
      count++;
      const record = records[i] as InboundRecord;
      const error = failed[i];
      if (error) {
        dead.push({ record, error });
        continue;
      }
      const res = resolved[i];
      if (!res) throw new StreamError('STREAM_ASYNC_FAILED', `no enrichment result for ${event.deviceId}`); // cannot happen: one result per item
      out.push({
        topic: o.outputTopic,
        key: record.key ?? event.deviceId,
        value: enrichAndEncode(event, res, version),
        headers: { ...record.headers, [SCHEMA_VERSION_HEADER]: versionHeader },
      });
    }
    metrics.countEvents(count);
    return { out, dead };
  };
}
