import { describe, expect, it } from '@jest/globals';
import {
  CODEC_8_EXTENDED,
  TelemetryError,
  decodeTcpPacket,
  eventId,
  hexToBuffer,
  ioValueToJson,
  toTelemetryEvents,
} from '../src/index.ts';
import type { AvlRecord } from '../src/index.ts';
import { WIKI_EXAMPLES } from './fixtures/teltonika-wiki-examples.ts';

const DEVICE = '356307042441013';
const RECEIVED_AT = 1560161090000;

function record(overrides: Partial<AvlRecord> = {}): AvlRecord {
  return {
    timestamp: 1700000000000,
    priority: 0,
    longitude: 25.2598066,
    latitude: 54.7009616,
    altitude: 104,
    angle: 41,
    satellites: 4,
    speed: 12,
    eventIoId: 0,
    io: [],
    ...overrides,
  };
}

describe('toTelemetryEvents', () => {
  it('turns the wiki Codec 8 example into exactly this event', () => {
    // Prepare
    const packet = decodeTcpPacket(hexToBuffer(WIKI_EXAMPLES[0]!.hex));
    // Act
    const events = toTelemetryEvents(DEVICE, RECEIVED_AT, packet);
    // Assess
    expect(events).toStrictEqual([
      {
        schemaVersion: 1,
        eventId: eventId({
          deviceId: DEVICE,
          eventTime: 1560161086000,
          priority: 1,
          eventIoId: 1,
          lat: 0,
          lon: 0,
        }),
        deviceId: DEVICE,
        eventTime: 1560161086000,
        receivedAt: RECEIVED_AT,
        position: { lat: 0, lon: 0, altitude: 0, heading: 0, speed: 0, satellites: 0 },
        priority: 1,
        eventIoId: 1,
        io: { '1': 1, '21': 3, '66': 24079, '78': 0, '241': 24602 },
        externalVoltage: 24.079,
      },
    ]);
  });

  it('gives the same eventIds for the same packet, whenever it is decoded', () => {
    const bytes = hexToBuffer(WIKI_EXAMPLES[2]!.hex);
    const first = toTelemetryEvents(DEVICE, 1, decodeTcpPacket(bytes)).map((e) => e.eventId);
    const replay = toTelemetryEvents(DEVICE, 2, decodeTcpPacket(bytes)).map((e) => e.eventId);
    expect(replay).toEqual(first);
    expect(new Set(first).size).toBe(2);
  });

  it('pins the eventId recipe (a change would re-key every stored row)', () => {
    expect(
      eventId({
        deviceId: DEVICE,
        eventTime: 1560161086000,
        priority: 1,
        eventIoId: 1,
        lat: 0,
        lon: 0,
      }),
    ).toBe(
      eventId({
        deviceId: DEVICE,
        eventTime: 1560161086000,
        priority: 1,
        eventIoId: 1,
        lat: 0.00000001,
        lon: 0,
      }),
    );
    expect(
      eventId({
        deviceId: DEVICE,
        eventTime: 1560161086000,
        priority: 1,
        eventIoId: 1,
        lat: 0,
        lon: 0,
      }),
    ).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(
      eventId({ deviceId: 'd1', eventTime: 0, priority: 0, eventIoId: 0, lat: 0, lon: 0 }),
    ).toBe('8decd9d8-e694-87d5-85ad-c4d657ec8e34');
  });

  it('gives distinct ids to identical records of one packet, and the same ids on retransmission', () => {
    const packet = {
      codecId: CODEC_8_EXTENDED,
      records: [record(), record(), record({ timestamp: 1700000001000 })],
    } as const;
    const ids = toTelemetryEvents(DEVICE, 1, packet).map((e) => e.eventId);
    expect(new Set(ids).size).toBe(3);
    expect(toTelemetryEvents(DEVICE, 9, packet).map((e) => e.eventId)).toEqual(ids);
  });

  it('derives the well-known fields from their AVL ids', () => {
    const io: AvlRecord['io'] = [
      { id: 239, width: 1, value: 1 },
      { id: 240, width: 1, value: 0 },
      { id: 66, width: 2, value: 12850 },
      { id: 67, width: 2, value: 4012 },
      { id: 89, width: 1, value: 57 },
      { id: 16, width: 4, value: 123456 },
      { id: 449, width: 4, value: 7200 },
    ];
    const [event] = toTelemetryEvents(DEVICE, 1, {
      codecId: CODEC_8_EXTENDED,
      records: [record({ io })],
    });
    expect(event).toMatchObject({
      ignition: true,
      movement: false,
      externalVoltage: 12.85,
      batteryVoltage: 4.012,
      fuelLevel: 57,
      odometer: 123456,
      engineHours: 2,
    });
  });

  it('falls back to Engine Worktime (103, minutes) and OBD fuel level (48)', () => {
    const io: AvlRecord['io'] = [
      { id: 103, width: 4, value: 90 },
      { id: 48, width: 1, value: 33 },
    ];
    const [event] = toTelemetryEvents(DEVICE, 1, {
      codecId: CODEC_8_EXTENDED,
      records: [record({ io })],
    });
    expect([event!.engineHours, event!.fuelLevel]).toEqual([1.5, 33]);
  });

  it('keeps Codec 16 generation types', () => {
    const packet = decodeTcpPacket(hexToBuffer(WIKI_EXAMPLES.find((e) => e.codecId === 0x10)!.hex));
    expect(toTelemetryEvents(DEVICE, 1, packet).map((e) => e.generationType)).toEqual([5, 5]);
  });

  it.each([
    ['a latitude above 90', record({ latitude: 91 }), 'latitude'],
    ['a longitude below -180', record({ longitude: -200 }), 'longitude'],
    ['an angle above 360', record({ angle: 361 }), 'angle'],
  ])('refuses the whole packet for %s with TELEMETRY_OUT_OF_RANGE', (_case, bad, field) => {
    const packet = { codecId: CODEC_8_EXTENDED, records: [record(), bad] } as const;
    expect(() => toTelemetryEvents(DEVICE, 1, packet)).toThrow(
      expect.objectContaining({
        code: 'TELEMETRY_OUT_OF_RANGE',
        details: expect.objectContaining({ record: 1, field }),
      }),
    );
  });

  it('refuses a device id that is not a valid key with TELEMETRY_SCHEMA_INVALID', () => {
    const attempt = () =>
      toTelemetryEvents('bad id', 1, { codecId: CODEC_8_EXTENDED, records: [] });
    expect(attempt).toThrow(TelemetryError);
    expect(attempt).toThrow(expect.objectContaining({ code: 'TELEMETRY_SCHEMA_INVALID' }));
  });
});

describe('io values in JSON', () => {
  it.each([
    ['a small number', 7, 7],
    ['a safe bigint', 2n ** 53n - 1n, 2 ** 53 - 1],
    ['a zero bigint', 0n, 0],
    ['a bigint beyond 2^53', 2n ** 64n - 1n, '18446744073709551615'],
    ['bytes', Buffer.from([0x0a, 0x1b]), { hex: '0a1b' }],
  ] as const)('%s becomes its JSON form', (_case, value, json) => {
    expect(ioValueToJson(value)).toEqual(json);
  });
});
