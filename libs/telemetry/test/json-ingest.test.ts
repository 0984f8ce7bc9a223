import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import {
  eventId,
  ingestJsonSchema,
  ingestToTelemetryEvents,
  validateIngest,
} from '../src/index.ts';

const published = JSON.parse(
  readFileSync(new URL('../schema/ingest-v1.schema.json', import.meta.url), 'utf8'),
) as object;
const ajvValidate = new Ajv2020({ allErrors: true, strict: true }).compile(published);

const GOOD_EVENT = {
  deviceId: '356307042441013',
  eventTime: 1560161086000,
  position: { lat: 54.7009616, lon: 25.2598066 },
};

const FULL_EVENT = {
  ...GOOD_EVENT,
  position: {
    lat: 54.7009616,
    lon: 25.2598066,
    altitude: 104,
    heading: 41,
    speed: 3.5,
    satellites: 4,
  },
  priority: 1,
  eventIoId: 239,
  io: { '239': 1, '66': 12800, '11': '18446744073709551615', '385': { hex: '1121' }, '72': 21.5 },
  fuelLevel: 40,
};

const BODIES: [string, unknown, boolean][] = [
  ['a minimal event', GOOD_EVENT, true],
  ['a full event', FULL_EVENT, true],
  ['a batch of two', { events: [GOOD_EVENT, FULL_EVENT] }, true],
  ['an empty batch', { events: [] }, false],
  ['a batch of 1001', { events: Array.from({ length: 1001 }, () => GOOD_EVENT) }, false],
  ['a batch with one bad event', { events: [GOOD_EVENT, { ...GOOD_EVENT, eventTime: -1 }] }, false],
  ['a batch with an extra key', { events: [GOOD_EVENT], source: 'x' }, false],
  ['a missing position', { deviceId: 'd', eventTime: 1 }, false],
  ['a misspelled field (lng)', { ...GOOD_EVENT, position: { lat: 1, lng: 2 } }, false],
  ['an unknown top-level field', { ...GOOD_EVENT, speed: 3 }, false],
  ['a latitude of -91', { ...GOOD_EVENT, position: { lat: -91, lon: 0 } }, false],
  ['eventTime as a string', { ...GOOD_EVENT, eventTime: '2019-06-10T10:04:46Z' }, false],
  ['a fractional eventTime', { ...GOOD_EVENT, eventTime: 1.5 }, false],
  ['a device id with a slash', { ...GOOD_EVENT, deviceId: 'a/b' }, false],
  ['a 65-character device id', { ...GOOD_EVENT, deviceId: 'x'.repeat(65) }, false],
  ['an io id of 65536', { ...GOOD_EVENT, io: { '65536': 1 } }, false],
  ['an io id of 65535', { ...GOOD_EVENT, io: { '65535': 1 } }, true],
  ['an io value of true', { ...GOOD_EVENT, io: { '1': true } }, false],
  ['uppercase hex', { ...GOOD_EVENT, io: { '1': { hex: 'AB' } } }, false],
  ['a priority of 256', { ...GOOD_EVENT, priority: 256 }, false],
  ['ignition as a string', { ...GOOD_EVENT, ignition: 'on' }, false],
  ['null', null, false],
  ['an array', [GOOD_EVENT], false],
];

describe('the published JSON Schema', () => {
  it('is the one generated from the zod definition (run npm run schema after a change)', () => {
    expect(published).toEqual(ingestJsonSchema());
  });

  it.each(BODIES)('agrees with validateIngest on %s (valid: %p)', (_case, body, valid) => {
    // Act
    const bySchema = ajvValidate(body);
    const byCode = validateIngest(body).ok;
    // Assess
    expect([bySchema, byCode]).toEqual([valid, valid]);
  });
});

describe('validateIngest', () => {
  it('returns one event for a single-event body and all events of a batch', () => {
    expect(validateIngest(GOOD_EVENT)).toEqual({ ok: true, events: [GOOD_EVENT] });
    expect(validateIngest({ events: [GOOD_EVENT, FULL_EVENT] })).toEqual({
      ok: true,
      events: [GOOD_EVENT, FULL_EVENT],
    });
  });

  it('names each bad field by JSON Pointer', () => {
    const result = validateIngest({
      events: [GOOD_EVENT, { ...GOOD_EVENT, eventTime: -1, position: { lat: 1, lng: 2 } }],
    });
    expect(result.ok).toBe(false);
    const paths = result.ok ? [] : result.errors.map((e) => e.path).sort();
    expect(paths).toEqual([
      '/events/1/eventTime',
      '/events/1/position/lng',
      '/events/1/position/lon',
    ]);
  });

  it('caps the error list at 50 entries plus a summary', () => {
    const result = validateIngest({
      events: Array.from({ length: 60 }, () => ({ ...GOOD_EVENT, eventTime: -1 })),
    });
    expect(result.ok ? [] : result.errors.slice(-1)).toEqual([
      { path: '', message: '10 more errors not shown' },
    ]);
  });
});

describe('ingestToTelemetryEvents', () => {
  it('fills defaults, derives fields and computes the same eventId as a binary record would', () => {
    // Act
    const [minimal, full] = ingestToTelemetryEvents([GOOD_EVENT, FULL_EVENT], 1560161090000);
    // Assess
    expect(minimal).toStrictEqual({
      schemaVersion: 1,
      eventId: eventId({
        deviceId: GOOD_EVENT.deviceId,
        eventTime: 1560161086000,
        priority: 0,
        eventIoId: 0,
        lat: 54.7009616,
        lon: 25.2598066,
      }),
      deviceId: GOOD_EVENT.deviceId,
      eventTime: 1560161086000,
      receivedAt: 1560161090000,
      position: {
        lat: 54.7009616,
        lon: 25.2598066,
        altitude: 0,
        heading: 0,
        speed: 0,
        satellites: 0,
      },
      priority: 0,
      eventIoId: 0,
      io: {},
    });
    expect(full).toMatchObject({
      ignition: true,
      externalVoltage: 12.8,
      fuelLevel: 40,
      io: FULL_EVENT.io,
    });
  });

  it('gives identical events of one batch distinct ids', () => {
    const ids = ingestToTelemetryEvents([GOOD_EVENT, GOOD_EVENT], 0).map((e) => e.eventId);
    expect(ids[0]).not.toBe(ids[1]);
  });
});
