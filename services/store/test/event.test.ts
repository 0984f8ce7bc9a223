import { InvalidRecordError } from '@fleetstream/stream';
import { dayOf, decodeStoredEvent } from '../src/event.ts';
import { enrichedEvent } from './helpers/cluster.ts';

const bytes = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));

describe('decodeStoredEvent', () => {
  test('returns the stored fields of a schema version 1 enriched event', () => {
    // Prepare
    const e = enrichedEvent('dev-1', 1_700_000_000_000, 3);

    // Act
    const s = decodeStoredEvent(bytes(e));

    // Assess
    expect(s).toMatchObject({ schemaVersion: 1, eventId: 'dev-1-1700000000000-3', deviceId: 'dev-1', eventTime: 1_700_000_000_000, receivedAt: 1_700_000_001_500, ignition: false, enrichment: 'ok' });
    expect(s.position).toEqual({ lat: 54.603, lon: 25.203, altitude: 120, heading: 3, speed: 3, satellites: 9 });
    expect(s.asset).toEqual({ assetId: 'asset-dev-1', customerId: 'cust-1', model: 'FMB920', owner: 'ops', tags: ['truck'] });
  });

  test.each([
    ['invalid-json', '{nope'],
    ['empty-value', ''],
    ['invalid-event', '[1,2]'],
    ['unknown-schema-version', { ...enrichedEvent('d', 1, 1), schemaVersion: 2 }],
    ['unknown-schema-version', { ...enrichedEvent('d', 1, 1), schemaVersion: undefined }],
    ['missing-device-id', { ...enrichedEvent('d', 1, 1), deviceId: undefined }],
    ['missing-event-id', { ...enrichedEvent('d', 1, 1), eventId: '' }],
    ['missing-event-time', { ...enrichedEvent('d', 1, 1), eventTime: 'yesterday' }],
    ['missing-position', { ...enrichedEvent('d', 1, 1), position: { lat: 1 } }],
  ])('rejects with InvalidRecordError reason %s', (reason, value) => {
    // Act
    let caught: unknown;
    try {
      decodeStoredEvent(value === '' ? Buffer.alloc(0) : bytes(value));
    } catch (err) {
      caught = err;
    }

    // Assess
    expect(caught).toBeInstanceOf(InvalidRecordError);
    expect((caught as InvalidRecordError).reason).toBe(reason);
    expect((caught as InvalidRecordError).code).toBe('INVALID_RECORD');
  });

  test('a null value is rejected as empty-value', () => {
    expect(() => decodeStoredEvent(null)).toThrow(expect.objectContaining({ reason: 'empty-value' }) as unknown as Error);
  });

  test('the day bucket is the UTC date of the event time', () => {
    expect(dayOf(Date.UTC(2024, 1, 29, 23, 59, 59, 999))).toBe('2024-02-29');
    expect(dayOf(Date.UTC(2024, 2, 1, 0, 0, 0, 0))).toBe('2024-03-01');
  });
});
