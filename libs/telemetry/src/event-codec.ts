/**
 * Events <-> Kafka record values: UTF-8 JSON, validated on the way in by the hand-written checks
 * (no zod on the hot path). A consumer names the schema versions it accepts; anything else is
 * TELEMETRY_UNSUPPORTED_SCHEMA_VERSION (send it to the DLQ with that reason), malformed input TELEMETRY_SCHEMA_INVALID.
 */
import { TelemetryError } from './errors.ts';
import { TELEMETRY_EVENT_SCHEMA_VERSION } from './event.ts';
import { checkEnrichedWire, ENRICHED_EVENT_SCHEMA_VERSIONS } from './enriched-versions.ts';
import type { EnrichedEvent, TelemetryEvent } from './event.ts';
import { checkTelemetryEvent } from './event-validate.ts';
import type { FieldError } from './event-validate.ts';

/** Kafka header that carries the schema version of a telemetry.parsed / telemetry.enriched value. */
export const SCHEMA_VERSION_HEADER = 'schema-version';

/** Serializes an event (parsed or enriched) as UTF-8 JSON. */
export function encodeEvent(event: TelemetryEvent | EnrichedEvent): Buffer {
  return Buffer.from(JSON.stringify(event), 'utf8');
}

function parse(buf: Buffer | string, acceptedVersions: readonly number[]): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(typeof buf === 'string' ? buf : buf.toString('utf8'));
  } catch (err) {
    throw new TelemetryError('TELEMETRY_SCHEMA_INVALID', `not JSON: ${(err as Error).message}`, {
      cause: err,
      details: { path: '' },
    });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TelemetryError('TELEMETRY_SCHEMA_INVALID', 'an event must be a JSON object', {
      details: { path: '' },
    });
  }
  const version = (value as { schemaVersion?: unknown }).schemaVersion;
  if (typeof version !== 'number') {
    throw new TelemetryError('TELEMETRY_SCHEMA_INVALID', '/schemaVersion: missing or not a number', {
      details: { path: '/schemaVersion' },
    });
  }
  if (!acceptedVersions.includes(version)) {
    throw new TelemetryError(
      'TELEMETRY_UNSUPPORTED_SCHEMA_VERSION',
      `schema version ${version} is not accepted here (accepted: ${acceptedVersions.join(', ')})`,
      { details: { version, accepted: [...acceptedVersions] } },
    );
  }
  return value as Record<string, unknown>;
}

function invalid(problem: FieldError): TelemetryError {
  return new TelemetryError('TELEMETRY_SCHEMA_INVALID', `${problem.path || '/'}: ${problem.message}`, {
    details: { ...problem },
  });
}

/**
 * Parses and validates a TelemetryEvent. `acceptedVersions` defaults to the version this code
 * writes; versions it accepts but does not know would need a migration here.
 *
 * @example const event = decodeEvent(message.value, [1]);
 */
export function decodeEvent(
  buf: Buffer | string,
  acceptedVersions: readonly number[] = [TELEMETRY_EVENT_SCHEMA_VERSION],
): TelemetryEvent {
  const value = parse(buf, acceptedVersions);
  const problem = checkTelemetryEvent(value);
  if (problem) throw invalid(problem);
  return value as unknown as TelemetryEvent;
}

/**
 * Parses and validates an EnrichedEvent of any version this code knows (enriched-versions.ts),
 * returned in the in-memory form; `acceptedVersions` narrows what a reader takes.
 */
export function decodeEnrichedEvent(
  buf: Buffer | string,
  acceptedVersions: readonly number[] = ENRICHED_EVENT_SCHEMA_VERSIONS,
): EnrichedEvent {
  const value = parse(buf, acceptedVersions);
  const problem = checkEnrichedWire(value);
  if (problem) throw invalid(problem);
  return value as unknown as EnrichedEvent;
}
