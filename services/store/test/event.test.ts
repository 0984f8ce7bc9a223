import { InvalidRecordError } from '@fleetstream/stream';
import { dayOf, decodeStoredEvent } from '../src/event.ts';
import { enrichedEvent, testEventId } from './helpers/cluster.ts';

const bytes = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));

function reasonOf(value: Buffer | null): unknown {
  try {
    decodeStoredEvent(value);
  } catch (err) {
    return err instanceof InvalidRecordError ? [err.code, err.reason] : err;
  }
  return 'accepted';
}

describe('decodeStoredEvent', () => {
  test('returns the stored fields of a schema version 1 enriched event', () => {
    // Prepare
    const e = enrichedEvent('dev-1', 1_700_000_000_000, 3);

    // Act
    const s = decodeStoredEvent(bytes(e));

    // Assess
    expect(s).toMatchObject({ schemaVersion: 1, eventId: testEventId('dev-1', 1_700_000_000_000, 3), deviceId: 'dev-1', eventTime: 1_700_000_000_000, receivedAt: 1_700_000_001_500, ignition: false, enrichment: 'ok' });
    expect(s.position).toEqual({ lat: 54.603, lon: 25.203, altitude: 120, heading: 3, speed: 3, satellites: 9 });
    expect(s.asset).toEqual({ assetId: 'asset-dev-1', customerId: 'cust-1', model: 'FMB920', owner: 'ops', tags: ['truck'] });
  });

  test('reads version 2 (enrichment { status, source }) as the same stored fields, with its version', () => {
    // Prepare
    const v1 = enrichedEvent('dev-1', 1_700_000_000_000, 3);
    const v2 = { ...v1, schemaVersion: 2, enrichment: { status: 'ok', source: 'table' } };

    // Act
    const s = decodeStoredEvent(bytes(v2));

    // Assess
    expect(s).toStrictEqual({ ...decodeStoredEvent(bytes(v1)), schemaVersion: 2, enrichmentSource: 'table' });
  });

  test('accepts an event whose asset is unknown (asset null, enrichment missing)', () => {
    const s = decodeStoredEvent(bytes(enrichedEvent('dev-2', 1, 1, { asset: null, enrichment: 'missing' })));
    expect([s.asset, s.enrichment]).toEqual([null, 'missing']);
  });

  test.each([
    ['text that is not JSON', 'TELEMETRY_SCHEMA_INVALID', '{nope'],
    ['an empty value', 'TELEMETRY_SCHEMA_INVALID', ''],
    ['a JSON array', 'TELEMETRY_SCHEMA_INVALID', '[1,2]'],
    ['schema version 3 (not known yet)', 'TELEMETRY_UNSUPPORTED_SCHEMA_VERSION', { ...enrichedEvent('d', 1, 1), schemaVersion: 3 }],
    ['version 2 with the status string of version 1', 'TELEMETRY_SCHEMA_INVALID', { ...enrichedEvent('d', 1, 1), schemaVersion: 2 }],
    ['no schema version', 'TELEMETRY_SCHEMA_INVALID', { ...enrichedEvent('d', 1, 1), schemaVersion: undefined }],
    ['no device id', 'TELEMETRY_SCHEMA_INVALID', { ...enrichedEvent('d', 1, 1), deviceId: undefined }],
    ['an empty event id', 'TELEMETRY_SCHEMA_INVALID', { ...enrichedEvent('d', 1, 1), eventId: '' }],
    ['an event time that is text', 'TELEMETRY_SCHEMA_INVALID', { ...enrichedEvent('d', 1, 1), eventTime: 'yesterday' }],
    ['a position without lon', 'TELEMETRY_SCHEMA_INVALID', { ...enrichedEvent('d', 1, 1), position: { lat: 1 } }],
    ['flat asset fields instead of a nested asset', 'TELEMETRY_SCHEMA_INVALID', { ...enrichedEvent('d', 1, 1, { asset: undefined }), assetId: 'a', customerId: null, model: null, owner: null, tags: [] }],
    ['an asset without assetId', 'TELEMETRY_SCHEMA_INVALID', enrichedEvent('d', 1, 1, { asset: { customerId: null, model: null, owner: null, tags: [] } })],
  ])('rejects %s with InvalidRecordError reason %s', (_case, reason, value) => {
    // Act
    const outcome = reasonOf(value === '' ? Buffer.alloc(0) : bytes(value));

    // Assess
    expect(outcome).toEqual(['STREAM_INVALID_RECORD', reason]);
  });

  test('a null value is rejected as TELEMETRY_SCHEMA_INVALID', () => {
    expect(reasonOf(null)).toEqual(['STREAM_INVALID_RECORD', 'TELEMETRY_SCHEMA_INVALID']);
  });

  test('the day bucket is the UTC date of the event time', () => {
    expect(dayOf(Date.UTC(2024, 1, 29, 23, 59, 59, 999))).toBe('2024-02-29');
    expect(dayOf(Date.UTC(2024, 2, 1, 0, 0, 0, 0))).toBe('2024-03-01');
  });
});
