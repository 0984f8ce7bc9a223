import { InvalidRecordError } from '@fleetstream/stream';

/**
 * The small event codec of enrich. It reads telemetry.parsed events (TelemetryEvent v1, JSON) and
 * writes enriched ones; it checks only what enrich relies on (the version and the device id) and
 * keeps every other field as it came. To be replaced by libs/telemetry's codec.
 */

/** The asset fields enrich adds. */
export interface Asset {
  assetId: string | null;
  customerId: string | null;
  model: string | null;
  owner: string | null;
  tags: string[];
}

/** ok: asset found and complete; partial: found with fields missing, or only stale data known; missing: none. */
export type EnrichmentStatus = 'ok' | 'partial' | 'missing';

/** A parsed event as enrich sees it: version 1 with a device id; the rest passes through. */
export interface ParsedEvent {
  schemaVersion: 1;
  deviceId: string;
  [field: string]: unknown;
}

/** Header of the enriched record. */
export const SCHEMA_VERSION_HEADER = 'schema-version';
export const ENRICHED_SCHEMA_VERSION = 1;

/** JSON.parse once; InvalidRecordError (reason empty-value | bad-json | unknown-schema-version | bad-device-id) otherwise. */
export function decodeParsedEvent(value: Buffer | null): ParsedEvent {
  if (value === null || value.length === 0) throw new InvalidRecordError('empty-value', 'the record has no value');
  let obj: unknown;
  try {
    obj = JSON.parse(value.toString('utf8'));
  } catch (err) {
    throw new InvalidRecordError('bad-json', 'the value is not JSON', { cause: err });
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new InvalidRecordError('bad-json', 'the value is not a JSON object');
  const e = obj as Record<string, unknown>;
  if (e.schemaVersion !== 1) throw new InvalidRecordError('unknown-schema-version', `schemaVersion ${JSON.stringify(e.schemaVersion)} is not one enrich knows (1)`);
  if (typeof e.deviceId !== 'string' || e.deviceId.length === 0) throw new InvalidRecordError('bad-device-id', 'deviceId must be a non-empty string');
  return e as ParsedEvent;
}

/** Adds `asset` and `enrichment` to the event (in place: it was parsed for this) and serializes it once. */
export function encodeEnrichedEvent(event: ParsedEvent, asset: Asset | null, enrichment: EnrichmentStatus): string {
  event.asset = asset;
  event.enrichment = enrichment;
  return JSON.stringify(event);
}

/** The status an asset earns: ok when every field is known, partial otherwise; missing for none. */
export function statusOf(asset: Asset | null): EnrichmentStatus {
  if (asset === null) return 'missing';
  return asset.assetId !== null && asset.customerId !== null && asset.model !== null && asset.owner !== null ? 'ok' : 'partial';
}

const text = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : typeof v === 'number' ? String(v) : null);

/**
 * An asset from a JSON object (a reference.assets row or an asset API answer): the five fields,
 * null when absent; tags from an array of strings or a comma-separated string. Undefined when the
 * value is not an object.
 */
export function toAsset(obj: unknown): Asset | undefined {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return undefined;
  const o = obj as Record<string, unknown>;
  const rawTags = o.tags;
  const tags = Array.isArray(rawTags)
    ? rawTags.filter((t): t is string => typeof t === 'string')
    : typeof rawTags === 'string'
      ? rawTags.split(',').map((t) => t.trim()).filter(Boolean)
      : [];
  return { assetId: text(o.assetId), customerId: text(o.customerId), model: text(o.model), owner: text(o.owner), tags };
}
