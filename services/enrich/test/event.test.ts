import { describe, expect, it } from '@jest/globals';
import { InvalidRecordError } from '@fleetstream/stream';
import { decodeEnrichedEvent } from '@fleetstream/telemetry';
import { decodeParsedEvent, enrichAndEncode, statusOf, toAsset } from '../src/event.ts';

const PARSED = {
  schemaVersion: 1,
  eventId: '8decd9d8-e694-87d5-85ad-c4d657ec8e34',
  deviceId: '356307042441013',
  eventTime: 1560161086000,
  receivedAt: 1560161090000,
  position: { lat: 54.7, lon: 25.26, altitude: 104, heading: 41, speed: 0, satellites: 4 },
  priority: 1,
  eventIoId: 239,
  io: { '239': 1 },
  ignition: true,
};

function reasonOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof InvalidRecordError) return err.reason;
    throw err;
  }
  throw new Error('no error');
}

describe('enrich event codec (libs/telemetry model)', () => {
  it.each([
    ['a null value', 'TELEMETRY_SCHEMA_INVALID', null],
    ['an empty value', 'TELEMETRY_SCHEMA_INVALID', Buffer.alloc(0)],
    ['text that is not JSON', 'TELEMETRY_SCHEMA_INVALID', Buffer.from('not json')],
    ['an event without eventId', 'TELEMETRY_SCHEMA_INVALID', Buffer.from(JSON.stringify({ ...PARSED, eventId: undefined }))],
    ['schema version 2', 'TELEMETRY_UNSUPPORTED_SCHEMA_VERSION', Buffer.from(JSON.stringify({ ...PARSED, schemaVersion: 2 }))],
  ])('refuses %s with the DLQ reason %s', (_case, reason, value) => {
    expect(reasonOf(() => decodeParsedEvent(value))).toBe(reason);
  });

  it('writes an EnrichedEvent with the nested asset that libs/telemetry decodes', () => {
    // Prepare
    const event = decodeParsedEvent(Buffer.from(JSON.stringify(PARSED)));
    const asset = { assetId: 'truck-7', customerId: 'c-1', model: 'FMB920', owner: null, tags: ['north'] };

    // Act
    const bytes = enrichAndEncode(event, { asset, status: statusOf(asset), source: 'table' });

    // Assess
    expect(decodeEnrichedEvent(bytes, [1])).toStrictEqual({ ...PARSED, asset, enrichment: 'partial' });
  });

  it('writes version 2 with enrichment { status, source } when configured, read back as the same event', () => {
    // Prepare
    const asset = { assetId: 'truck-7', customerId: 'c-1', model: 'FMB920', owner: 'o', tags: [] };

    // Act
    const bytes = enrichAndEncode(decodeParsedEvent(Buffer.from(JSON.stringify(PARSED))), { asset, status: 'ok', source: 'remote' }, 2);

    // Assess
    expect(JSON.parse(bytes.toString())).toMatchObject({ schemaVersion: 2, enrichment: { status: 'ok', source: 'remote' } });
    expect(decodeEnrichedEvent(bytes)).toStrictEqual({ ...PARSED, schemaVersion: 2, asset, enrichment: 'ok', enrichmentSource: 'remote' });
    expect(() => decodeEnrichedEvent(bytes, [1])).toThrow(/schema version 2 is not accepted here/);
  });

  it('writes asset null with enrichment missing for an unknown device', () => {
    const event = decodeParsedEvent(Buffer.from(JSON.stringify(PARSED)));
    expect(decodeEnrichedEvent(enrichAndEncode(event, { asset: null, status: statusOf(null), source: 'remote' }), [1])).toStrictEqual({ ...PARSED, asset: null, enrichment: 'missing' });
  });

  it('reads an asset from a row, and refuses a row without assetId', () => {
    expect([
      toAsset({ deviceId: 'd', assetId: 'a-1', customerId: 'c', model: 'm', owner: 'o', tags: 'x, y' }),
      toAsset({ deviceId: 'd', customerId: 'c', model: 'm', owner: 'o', tags: [] }),
      toAsset([]),
      toAsset({ assetId: 'a-2', tags: ['x', 7, 'y', null] }),
    ]).toEqual([
      { assetId: 'a-1', customerId: 'c', model: 'm', owner: 'o', tags: ['x', 'y'] },
      undefined,
      undefined,
      { assetId: 'a-2', customerId: null, model: null, owner: null, tags: ['x', 'y'] },
    ]);
  });

  it('rates an asset ok only when every field is known', () => {
    const full = { assetId: 'a', customerId: 'c', model: 'm', owner: 'o', tags: [] };
    expect([statusOf(full), statusOf({ ...full, owner: null }), statusOf(null)]).toEqual(['ok', 'partial', 'missing']);
  });
});
