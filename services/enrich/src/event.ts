import { InvalidRecordError } from '@fleetstream/stream';
import { decodeEvent, encodeEnrichedEvent, isTelemetryError, TELEMETRY_EVENT_SCHEMA_VERSION } from '@fleetstream/telemetry';
import type { AssetFields, EnrichedEvent, EnrichedSchemaVersion, EnrichmentSource, EnrichmentStatus, TelemetryEvent } from '@fleetstream/telemetry';

/**
 * Enrich's side of the event model of libs/telemetry: it reads telemetry.parsed (TelemetryEvent
 * v1) with `decodeEvent` and writes telemetry.enriched (EnrichedEvent, the version configured) with
 * `encodeEnrichedEvent`.
 * Every DLQ reason of a bad input record is a TelemetryError code (TELEMETRY_SCHEMA_INVALID,
 * TELEMETRY_UNSUPPORTED_SCHEMA_VERSION), the same vocabulary in every service.
 */

/** The asset enrich adds: libs/telemetry's AssetFields. */
export type Asset = AssetFields;

/** Schema versions of telemetry.parsed enrich reads. */
export const ACCEPTED_PARSED_VERSIONS: readonly number[] = [TELEMETRY_EVENT_SCHEMA_VERSION];

/**
 * Parses (JSON.parse once) and validates a telemetry.parsed value. Throws InvalidRecordError whose
 * reason is the TelemetryError code: TELEMETRY_SCHEMA_INVALID (no value, not JSON, not a valid event) or
 * TELEMETRY_UNSUPPORTED_SCHEMA_VERSION.
 */
export function decodeParsedEvent(value: Buffer | null): TelemetryEvent {
  if (value === null || value.length === 0) throw new InvalidRecordError('TELEMETRY_SCHEMA_INVALID', 'the record has no value');
  try {
    return decodeEvent(value, ACCEPTED_PARSED_VERSIONS);
  } catch (err) {
    if (isTelemetryError(err)) throw new InvalidRecordError(err.code, err.message, { cause: err });
    throw err;
  }
}

/** What enrich found for an event's device. */
export interface Enrichment {
  asset: Asset | null;
  status: EnrichmentStatus;
  source: EnrichmentSource;
}

/**
 * The EnrichedEvent of a parsed event, as version `version`: adds `asset`, `enrichment` and (v2)
 * `enrichmentSource` in place (the event was parsed for this record only, so no copy) and returns it.
 */
export function toEnrichedEvent(event: TelemetryEvent, found: Enrichment, version: EnrichedSchemaVersion = 1): EnrichedEvent {
  const enriched = event as unknown as EnrichedEvent;
  enriched.schemaVersion = version;
  enriched.asset = found.asset;
  enriched.enrichment = found.status;
  if (version >= 2) enriched.enrichmentSource = found.source;
  return enriched;
}

/** Enriches the event (see {@link toEnrichedEvent}) and serializes it once, in the wire form of `version`. */
export function enrichAndEncode(event: TelemetryEvent, found: Enrichment, version: EnrichedSchemaVersion = 1): Buffer {
  return encodeEnrichedEvent(toEnrichedEvent(event, found, version));
}

/** What a lookup found, from `source`: the asset and the status it earns. */
export function enrichmentOf(asset: Asset | null, source: EnrichmentSource): Enrichment {
  return { asset, status: statusOf(asset), source };
}

/** The status an asset earns: ok when every field is known, partial otherwise; missing for none. */
export function statusOf(asset: Asset | null): EnrichmentStatus {
  if (asset === null) return 'missing';
  return asset.customerId !== null && asset.model !== null && asset.owner !== null ? 'ok' : 'partial';
}

const text = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : typeof v === 'number' ? String(v) : null);

/** The strings of a parsed JSON array: the array itself when it holds nothing else (the usual case: no copy per answer). */
function stringsOf(values: unknown[]): string[] {
  for (const v of values) {
    if (typeof v !== 'string') return values.filter((t): t is string => typeof t === 'string');
  }
  return values as string[];
}

/**
 * An asset from a JSON object (a reference.assets row or an asset API answer): assetId (required:
 * an asset without an id is not an asset), the other fields null when absent, tags from an array of
 * strings or a comma-separated string. Undefined when the value is not an object or has no assetId.
 */
export function toAsset(obj: unknown): Asset | undefined {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return undefined;
  const o = obj as Record<string, unknown>;
  // Rows from the SQL source carry the register's column names (asset_id, customer_id); the asset
  // API answers in camelCase. Both are accepted.
  const assetId = text(o.assetId ?? o.asset_id);
  if (assetId === null) return undefined;
  const rawTags = o.tags;
  const tags = Array.isArray(rawTags)
    ? stringsOf(rawTags)
    : typeof rawTags === 'string'
      ? rawTags.split(',').map((t) => t.trim()).filter(Boolean)
      : [];
  return { assetId, customerId: text(o.customerId ?? o.customer_id), model: text(o.model), owner: text(o.owner), tags };
}
