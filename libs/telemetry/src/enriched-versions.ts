/**
 * The versions of the enriched event on telemetry.enriched, and the one in-memory form they read
 * into (EnrichedEvent). A schema change that is not additive gets a new version; readers learn the
 * new version first (they accept every version listed here), then writers switch
 * (ENRICHED_SCHEMA_VERSION in enrich), so a topic that holds both versions mid-change is read whole.
 *
 * - v1: `enrichment` is the status string ('ok' | 'partial' | 'missing').
 * - v2: `enrichment` is `{ status, source }`: the status and where the asset came from
 *   (table, cache, remote, fallback) — a type change of a field, hence a new version.
 */
import { ENRICHMENT_SOURCES, ENRICHMENT_STATUSES } from './event.ts';
import type { EnrichedEvent, EnrichedSchemaVersion, EnrichmentSource } from './event.ts';
import { checkEnrichedEvent } from './event-validate.ts';
import type { FieldError } from './event-validate.ts';

/** Every enriched version this code reads and writes, oldest first. */
export const ENRICHED_EVENT_SCHEMA_VERSIONS: readonly EnrichedSchemaVersion[] = [1, 2];

/** True when `v` is a version of ENRICHED_EVENT_SCHEMA_VERSIONS. */
export function isEnrichedSchemaVersion(v: unknown): v is EnrichedSchemaVersion {
  return v === 1 || v === 2;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks a parsed enriched value of any known version and turns it, in place, into the in-memory
 * EnrichedEvent (v2's `enrichment` object becomes `enrichment` + `enrichmentSource`). Returns the
 * first problem, or undefined when `value` is now a valid EnrichedEvent.
 */
export function checkEnrichedWire(value: Record<string, unknown>): FieldError | undefined {
  if (value.schemaVersion !== 2) return checkEnrichedEvent(value);
  const e = value.enrichment;
  if (!isObject(e)) return { path: '/enrichment', message: 'must be an object { status, source } in version 2' };
  if (!(ENRICHMENT_SOURCES as readonly unknown[]).includes(e.source)) {
    return { path: '/enrichment/source', message: `must be one of ${ENRICHMENT_SOURCES.join(', ')}` };
  }
  if (!(ENRICHMENT_STATUSES as readonly unknown[]).includes(e.status)) {
    return { path: '/enrichment/status', message: `must be one of ${ENRICHMENT_STATUSES.join(', ')}` };
  }
  // The rest of v2 is v1's: check it as v1, then restore the version it was read from.
  value.schemaVersion = 1;
  value.enrichment = e.status;
  value.enrichmentSource = e.source as EnrichmentSource;
  const problem = checkEnrichedEvent(value);
  value.schemaVersion = 2;
  return problem;
}

/**
 * Serializes an enriched event as the wire form of `event.schemaVersion` (UTF-8 JSON): v1 without
 * `enrichmentSource`, v2 with `enrichment: { status, source }` (a v2 event must know its source).
 */
export function encodeEnrichedEvent(event: EnrichedEvent): Buffer {
  if (event.schemaVersion === 1) {
    if (event.enrichmentSource === undefined) return Buffer.from(JSON.stringify(event), 'utf8');
    const { enrichmentSource: _, ...v1 } = event;
    return Buffer.from(JSON.stringify(v1), 'utf8');
  }
  const { enrichmentSource: source, enrichment: status, ...rest } = event;
  if (source === undefined) throw new TypeError('an enriched event of version 2 needs its enrichmentSource');
  return Buffer.from(JSON.stringify({ ...rest, enrichment: { status, source } }), 'utf8');
}
