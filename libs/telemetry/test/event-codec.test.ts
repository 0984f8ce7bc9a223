import { describe, expect, it } from '@jest/globals';
import {
  TelemetryError,
  checkEnrichedEvent,
  checkTelemetryEvent,
  decodeEnrichedEvent,
  decodeEvent,
  encodeEvent,
  enrichedEventSchema,
  telemetryEventSchema,
} from '../src/index.ts';
import type { AssetFields, EnrichedEvent, TelemetryEvent } from '../src/index.ts';

const EVENT: TelemetryEvent = {
  schemaVersion: 1,
  eventId: '8decd9d8-e694-87d5-85ad-c4d657ec8e34',
  deviceId: '356307042441013',
  eventTime: 1560161086000,
  receivedAt: 1560161090000,
  position: {
    lat: 54.7009616,
    lon: 25.2598066,
    altitude: 104,
    heading: 41,
    speed: 0,
    satellites: 4,
  },
  priority: 1,
  eventIoId: 239,
  io: { '239': 1, '11': '18446744073709551615', '385': { hex: '1121' } },
  ignition: true,
};

const ASSET: AssetFields = {
  assetId: 'truck-7',
  customerId: null,
  model: 'FMB920',
  owner: null,
  tags: ['north'],
};

const ENRICHED: EnrichedEvent = { ...EVENT, asset: ASSET, enrichment: 'partial' };

function decodeError(fn: () => unknown): TelemetryError {
  try {
    fn();
  } catch (err) {
    if (err instanceof TelemetryError) return err;
    throw err;
  }
  throw new Error('no error');
}

describe('encodeEvent / decodeEvent', () => {
  it('round-trips a TelemetryEvent through UTF-8 JSON', () => {
    expect(decodeEvent(encodeEvent(EVENT))).toStrictEqual(EVENT);
  });

  it('round-trips an EnrichedEvent', () => {
    expect(decodeEnrichedEvent(encodeEvent(ENRICHED))).toStrictEqual(ENRICHED);
  });

  it('round-trips an EnrichedEvent whose asset is unknown (asset: null)', () => {
    // Prepare
    const missing: EnrichedEvent = { ...EVENT, asset: null, enrichment: 'missing' };

    // Act
    const decoded = decodeEnrichedEvent(encodeEvent(missing));

    // Assess
    expect(decoded).toStrictEqual(missing);
  });

  it('writes the asset nested under "asset", not as top-level fields', () => {
    const json = JSON.parse(encodeEvent(ENRICHED).toString('utf8')) as Record<string, unknown>;
    expect([json.asset, json.assetId, json.enrichment]).toEqual([ASSET, undefined, 'partial']);
  });

  it('refuses a schema version the consumer does not accept with TELEMETRY_UNSUPPORTED_SCHEMA_VERSION', () => {
    const err = decodeError(() => decodeEvent(encodeEvent({ ...EVENT, schemaVersion: 2 as 1 })));
    expect([err.code, err.details]).toEqual([
      'TELEMETRY_UNSUPPORTED_SCHEMA_VERSION',
      { version: 2, accepted: [1] },
    ]);
  });

  it('refuses version 1 when the consumer accepts only 2', () => {
    expect(decodeError(() => decodeEvent(encodeEvent(EVENT), [2])).code).toBe(
      'TELEMETRY_UNSUPPORTED_SCHEMA_VERSION',
    );
  });

  it.each([
    ['text that is not JSON', '{"schemaVersion":1,', ''],
    ['a JSON array', '[1]', ''],
    [
      'a missing schema version',
      JSON.stringify({ ...EVENT, schemaVersion: undefined }),
      '/schemaVersion',
    ],
    ['an eventId that is not a UUID', JSON.stringify({ ...EVENT, eventId: 'x' }), '/eventId'],
    [
      'a latitude of 91',
      JSON.stringify({ ...EVENT, position: { ...EVENT.position, lat: 91 } }),
      '/position/lat',
    ],
    ['a fractional eventTime', JSON.stringify({ ...EVENT, eventTime: 1.5 }), '/eventTime'],
    ['an io id above 65535', JSON.stringify({ ...EVENT, io: { '65536': 1 } }), '/io/65536'],
    [
      'an io value that is a non-decimal string',
      JSON.stringify({ ...EVENT, io: { '1': '0x10' } }),
      '/io/1',
    ],
    ['uppercase hex bytes', JSON.stringify({ ...EVENT, io: { '1': { hex: 'AB' } } }), '/io/1'],
    ['ignition as a number', JSON.stringify({ ...EVENT, ignition: 1 }), '/ignition'],
  ])('refuses %s with TELEMETRY_SCHEMA_INVALID at %p', (_case, text, path) => {
    const err = decodeError(() => decodeEvent(text));
    expect([err.code, err.details?.path]).toEqual(['TELEMETRY_SCHEMA_INVALID', path]);
  });

  it('refuses an enriched event with an unknown enrichment status', () => {
    const err = decodeError(() =>
      decodeEnrichedEvent(JSON.stringify({ ...ENRICHED, enrichment: 'maybe' })),
    );
    expect([err.code, err.details?.path]).toEqual(['TELEMETRY_SCHEMA_INVALID', '/enrichment']);
  });

  it.each([
    ['no asset field', { ...ENRICHED, asset: undefined }, '/asset'],
    [
      'flat asset fields instead of a nested asset',
      { ...EVENT, ...ASSET, enrichment: 'ok' },
      '/asset',
    ],
    [
      'an asset without assetId',
      { ...ENRICHED, asset: { ...ASSET, assetId: undefined } },
      '/asset/assetId',
    ],
    [
      'an asset with a numeric owner',
      { ...ENRICHED, asset: { ...ASSET, owner: 3 } },
      '/asset/owner',
    ],
    [
      'asset tags that are not strings',
      { ...ENRICHED, asset: { ...ASSET, tags: [1] } },
      '/asset/tags',
    ],
  ])('refuses an enriched event with %s with TELEMETRY_SCHEMA_INVALID at %p', (_case, value, path) => {
    const err = decodeError(() => decodeEnrichedEvent(JSON.stringify(value)));
    expect([err.code, err.details?.path]).toEqual(['TELEMETRY_SCHEMA_INVALID', path]);
  });
});

describe('the hand-written validators agree with the zod schemas', () => {
  const variants: [string, unknown, boolean][] = [
    ['the reference event', EVENT, true],
    ['extra fields', { ...EVENT, extra: true }, true],
    ['a generation type', { ...EVENT, generationType: 5 }, true],
    ['a negative generation type', { ...EVENT, generationType: -1 }, false],
    ['no io', { ...EVENT, io: undefined }, false],
    ['io as an array', { ...EVENT, io: [] }, false],
    ['an io key with a leading zero', { ...EVENT, io: { '01': 1 } }, false],
    ['a decimal string with a leading zero', { ...EVENT, io: { '1': '01' } }, false],
    ['a negative decimal string', { ...EVENT, io: { '1': '-12345678901234567890' } }, true],
    ['a fractional io number', { ...EVENT, io: { '1': 1.5 } }, true],
    ['hex with an odd length', { ...EVENT, io: { '1': { hex: 'abc' } } }, false],
    ['a hex object with an extra key', { ...EVENT, io: { '1': { hex: 'ab', x: 1 } } }, false],
    ['a heading of 360', { ...EVENT, position: { ...EVENT.position, heading: 360 } }, true],
    ['a heading of 361', { ...EVENT, position: { ...EVENT.position, heading: 361 } }, false],
    ['negative speed', { ...EVENT, position: { ...EVENT.position, speed: -1 } }, false],
    [
      'fractional satellites',
      { ...EVENT, position: { ...EVENT.position, satellites: 1.5 } },
      false,
    ],
    ['a priority of 256', { ...EVENT, priority: 256 }, false],
    ['an eventIoId of 65536', { ...EVENT, eventIoId: 65536 }, false],
    ['an empty device id', { ...EVENT, deviceId: '' }, false],
    ['a device id with a space', { ...EVENT, deviceId: 'a b' }, false],
    ['a negative odometer', { ...EVENT, odometer: -1 }, false],
    ['a string externalVoltage', { ...EVENT, externalVoltage: '12' }, false],
    ['an uppercase UUID', { ...EVENT, eventId: EVENT.eventId.toUpperCase() }, false],
    ['a negative receivedAt', { ...EVENT, receivedAt: -1 }, false],
    ['null', null, false],
  ];

  it.each(variants)('on %s (TelemetryEvent, valid: %p)', (_case, value, valid) => {
    expect([
      checkTelemetryEvent(value) === undefined,
      telemetryEventSchema.safeParse(value).success,
    ]).toEqual([valid, valid]);
  });

  const enrichedVariants: [string, unknown, boolean][] = [
    ['the reference enriched event', ENRICHED, true],
    ['an unknown asset (null)', { ...ENRICHED, asset: null, enrichment: 'missing' }, true],
    [
      'an asset with every field known',
      { ...ENRICHED, asset: { ...ASSET, customerId: 'c', owner: 'o' }, enrichment: 'ok' },
      true,
    ],
    ['an asset with an extra field', { ...ENRICHED, asset: { ...ASSET, site: 'x' } }, true],
    ['no asset field', { ...ENRICHED, asset: undefined }, false],
    ['an asset that is an array', { ...ENRICHED, asset: [] }, false],
    ['flat asset fields', { ...EVENT, ...ASSET, enrichment: 'partial' }, false],
    ['a null assetId', { ...ENRICHED, asset: { ...ASSET, assetId: null } }, false],
    ['a numeric assetId', { ...ENRICHED, asset: { ...ASSET, assetId: 7 } }, false],
    ['a missing customerId', { ...ENRICHED, asset: { ...ASSET, customerId: undefined } }, false],
    ['tags with a number', { ...ENRICHED, asset: { ...ASSET, tags: ['a', 1] } }, false],
    ['no tags', { ...ENRICHED, asset: { ...ASSET, tags: undefined } }, false],
    ['no enrichment', { ...ENRICHED, enrichment: undefined }, false],
    ['an unknown status', { ...ENRICHED, enrichment: 'unknown' }, false],
  ];

  it.each(enrichedVariants)('on %s (EnrichedEvent, valid: %p)', (_case, value, valid) => {
    expect([
      checkEnrichedEvent(value) === undefined,
      enrichedEventSchema.safeParse(value).success,
    ]).toEqual([valid, valid]);
  });
});
