import { describe, expect, it } from '@jest/globals';
import {
  ENRICHED_EVENT_SCHEMA_VERSIONS,
  ENRICHMENT_SOURCES,
  ENRICHMENT_STATUSES,
  TelemetryError,
  decodeEnrichedEvent,
  encodeEnrichedEvent,
  enrichedEventSchema,
  enrichedEventV2Schema,
} from '../src/index.ts';
import type { EnrichedEvent } from '../src/index.ts';

const V1: EnrichedEvent = {
  schemaVersion: 1,
  eventId: '8decd9d8-e694-87d5-85ad-c4d657ec8e34',
  deviceId: '356307042441013',
  eventTime: 1560161086000,
  receivedAt: 1560161090000,
  position: { lat: 54.7009616, lon: 25.2598066, altitude: 104, heading: 41, speed: 0, satellites: 4 },
  priority: 1,
  eventIoId: 239,
  io: { '239': 1, '11': '18446744073709551615', '385': { hex: '1121' } },
  ignition: true,
  asset: { assetId: 'truck-7', customerId: null, model: 'FMB920', owner: null, tags: ['north'] },
  enrichment: 'partial',
};

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof TelemetryError) return `${err.code} ${err.message}`;
    throw err;
  }
  return 'accepted';
}

describe('enriched event versions on the wire', () => {
  it('reads every known version: v1 and v2', () => {
    expect(ENRICHED_EVENT_SCHEMA_VERSIONS).toEqual([1, 2]);
  });

  it.each(ENRICHMENT_STATUSES.flatMap((status) => ENRICHMENT_SOURCES.map((source) => [status, source] as const)))(
    'v2 with status %s and source %s round-trips to the same in-memory event, and matches the published v2 schema',
    (status, source) => {
      // Prepare
      const event: EnrichedEvent = { ...V1, schemaVersion: 2, enrichment: status, enrichmentSource: source };

      // Act
      const bytes = encodeEnrichedEvent(event);
      const wire = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;

      // Assess
      expect([wire.schemaVersion, wire.enrichment, wire.enrichmentSource]).toEqual([2, { status, source }, undefined]);
      expect(enrichedEventV2Schema.safeParse(wire).success).toBe(true);
      expect(decodeEnrichedEvent(bytes)).toStrictEqual(event);
    },
  );

  it('v1 is written exactly as before: the status string, no source, valid against the v1 schema', () => {
    // Act
    const wire = JSON.parse(encodeEnrichedEvent({ ...V1, enrichmentSource: 'cache' }).toString('utf8')) as Record<string, unknown>;

    // Assess
    expect(wire).toStrictEqual(JSON.parse(JSON.stringify(V1)));
    expect(enrichedEventSchema.safeParse(wire).success).toBe(true);
  });

  it('a v2 event without its source cannot be written', () => {
    expect(() => encodeEnrichedEvent({ ...V1, schemaVersion: 2 })).toThrow(/needs its enrichmentSource/);
  });

  it.each([
    ['the status string of v1', { ...V1, schemaVersion: 2 }, 'TELEMETRY_SCHEMA_INVALID /enrichment: must be an object { status, source } in version 2'],
    ['an unknown source', { ...V1, schemaVersion: 2, enrichment: { status: 'ok', source: 'guess' } }, 'TELEMETRY_SCHEMA_INVALID /enrichment/source: must be one of table, cache, remote, fallback'],
    ['an unknown status', { ...V1, schemaVersion: 2, enrichment: { status: 'fine', source: 'table' } }, 'TELEMETRY_SCHEMA_INVALID /enrichment/status: must be one of ok, partial, missing'],
    ['a bad v1 part', { ...V1, schemaVersion: 2, deviceId: '', enrichment: { status: 'ok', source: 'table' } }, 'TELEMETRY_SCHEMA_INVALID /deviceId: must be 1..64 letters, digits or . _ : -'],
    ['version 3', { ...V1, schemaVersion: 3 }, 'TELEMETRY_UNSUPPORTED_SCHEMA_VERSION schema version 3 is not accepted here (accepted: 1, 2)'],
  ])('refuses v2 with %s, naming the field', (_case, value, expected) => {
    expect(codeOf(() => decodeEnrichedEvent(JSON.stringify(value)))).toBe(expected);
  });

  it('a reader that accepts only v1 refuses v2 with TELEMETRY_UNSUPPORTED_SCHEMA_VERSION', () => {
    const v2 = encodeEnrichedEvent({ ...V1, schemaVersion: 2, enrichmentSource: 'remote' });
    expect(codeOf(() => decodeEnrichedEvent(v2, [1]))).toMatch(/^TELEMETRY_UNSUPPORTED_SCHEMA_VERSION schema version 2/);
  });
});
