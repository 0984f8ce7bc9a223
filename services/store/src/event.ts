import { InvalidRecordError, type DeadLetter, type InboundRecord, type StageResult } from '@fleetstream/stream';
import { decodeEnrichedEvent, ENRICHED_EVENT_SCHEMA_VERSIONS, isTelemetryError } from '@fleetstream/telemetry';
import type { EnrichedEvent } from '@fleetstream/telemetry';

/**
 * Schema versions of the enriched event this store understands: all of libs/telemetry's, so a
 * topic holding v1 and v2 mid-change is written whole (the row's schema_version says which).
 */
export const KNOWN_SCHEMA_VERSIONS: ReadonlySet<number> = new Set(ENRICHED_EVENT_SCHEMA_VERSIONS);

const ACCEPTED_VERSIONS: readonly number[] = [...KNOWN_SCHEMA_VERSIONS];

/** An enriched event as the store writes it: libs/telemetry's EnrichedEvent (telemetry.enriched). */
export type StoredEvent = EnrichedEvent;

/**
 * Parses (JSON.parse once) and validates an enriched event's bytes with libs/telemetry's
 * `decodeEnrichedEvent`. Throws InvalidRecordError whose reason (the DLQ reason) is the
 * TelemetryError code: TELEMETRY_SCHEMA_INVALID (no value, not JSON, not a valid EnrichedEvent) or
 * TELEMETRY_UNSUPPORTED_SCHEMA_VERSION.
 */
export function decodeStoredEvent(value: Buffer | null): StoredEvent {
  if (value === null || value.length === 0) throw new InvalidRecordError('TELEMETRY_SCHEMA_INVALID', 'record has no value');
  try {
    return decodeEnrichedEvent(value, ACCEPTED_VERSIONS);
  } catch (err) {
    if (isTelemetryError(err)) throw new InvalidRecordError(err.code, err.message, { cause: err });
    throw err;
  }
}

/** The UTC day bucket ('YYYY-MM-DD') of a time in ms. */
export function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The store's transformation: each record decoded to the event it writes, or a dead letter with its reason. */
export function decodeStoredEvents(records: InboundRecord[]): StageResult<StoredEvent> {
  const out: StoredEvent[] = [];
  const dead: DeadLetter[] = [];
  for (const record of records) {
    try {
      out.push(decodeStoredEvent(record.value));
    } catch (error) {
      dead.push({ record, error });
    }
  }
  return { out, dead };
}
