import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  CODEC_16,
  CODEC_8_EXTENDED,
  TelemetryError,
  decodeTcpPacket,
  encodeEvent,
  hexToBuffer,
  telemetryEventsJson,
  telemetryEventsJsonBytes,
  JsonBytes,
  toTelemetryEvents,
} from '../src/index.ts';
import type { AvlPacket, AvlRecord, IoElement } from '../src/index.ts';
import { CODECS, packetArb } from './helpers/arbitraries.ts';
import { WIKI_EXAMPLES } from './fixtures/teltonika-wiki-examples.ts';

/** The reference: event objects, then JSON.stringify (encodeEvent). */
function reference(deviceId: string, receivedAt: number, packet: AvlPacket): string[] | string {
  try {
    return toTelemetryEvents(deviceId, receivedAt, packet).map((e) => encodeEvent(e).toString('utf8'));
  } catch (err) {
    return (err as TelemetryError).code;
  }
}

function fast(deviceId: string, receivedAt: number, packet: AvlPacket): string[] | string {
  const out: string[] = [];
  try {
    expect(telemetryEventsJson(deviceId, receivedAt, packet, out)).toBe(packet.records.length);
    return out;
  } catch (err) {
    expect(out).toEqual([]);
    return (err as TelemetryError).code;
  }
}

// ids behind the derived fields, so that they, their fallbacks and repeated ids come up often
const WELL_KNOWN = [16, 48, 66, 67, 89, 103, 239, 240, 449];

/** Packets with positions mostly in range and io ids mostly well-known (and repeated). */
function eventPacketArb(codecId: (typeof CODECS)[number]): fc.Arbitrary<AvlPacket> {
  return fc.tuple(packetArb(codecId), fc.boolean(), fc.array(fc.nat(WELL_KNOWN.length - 1), { minLength: 64, maxLength: 64 })).map(([packet, inRange, picks]) => ({
    ...packet,
    records: packet.records.map((r: AvlRecord, i): AvlRecord => ({
      ...r,
      ...(inRange ? { latitude: r.latitude / 24, longitude: r.longitude / 12, angle: r.angle % 361 } : {}),
      io: r.io.map((e: IoElement, k): IoElement => (picks[(i * 7 + k) % 64]! % 3 === 0 ? e : ({ ...e, id: WELL_KNOWN[picks[(i * 5 + k) % 64]!]! } as IoElement))),
    })),
  }));
}

/** Device ids as the gateway passes them (an IMEI, any ASCII id, any text) and receivedAt as any time or NaN. */
const deviceIdArb = fc.oneof(fc.constantFrom('356307042441013', 'SN-42.a_b:c', 'x'), fc.string({ maxLength: 70 }));
const receivedAtArb = fc.oneof(fc.nat(), fc.maxSafeNat(), fc.constant(Number.NaN));

describe('telemetryEventsJson', () => {
  it.each(CODECS)('writes exactly what encodeEvent(toTelemetryEvents(...)) writes, and refuses the same packets (codec %d)', (codecId) => {
    fc.assert(
      fc.property(
        eventPacketArb(codecId),
        deviceIdArb,
        receivedAtArb,
        (packet, deviceId, receivedAt) => {
          expect(fast(deviceId, receivedAt, packet)).toEqual(reference(deviceId, receivedAt, packet));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('writes the wiki examples as encodeEvent does', () => {
    for (const example of WIKI_EXAMPLES) {
      if (!example.hex.startsWith('00000000')) continue;
      const packet = decodeTcpPacket(hexToBuffer(example.hex));
      expect(fast('356307042441013', 1560161090000, packet)).toEqual(reference('356307042441013', 1560161090000, packet));
    }
  });

  it('keeps the last value of a repeated io id and derives fields from it', () => {
    const packet: AvlPacket = {
      codecId: CODEC_8_EXTENDED,
      records: [
        {
          timestamp: 1700000000000,
          priority: 0,
          longitude: -0.0000001,
          latitude: 0,
          altitude: -5,
          angle: 360,
          satellites: 0,
          speed: 0,
          eventIoId: 0,
          io: [
            { id: 239, width: 1, value: 1 },
            { id: 66, width: 2, value: 12000 },
            { id: 239, width: 8, value: 0n },
            { id: 66, width: 8, value: 18446744073709551615n },
            { id: 89, width: 'nx', value: Buffer.from([1, 2]) },
            { id: 48, width: 1, value: 40 },
          ],
        },
      ],
    };
    const [text] = fast('d1', 5, packet) as string[];
    expect(JSON.parse(text!)).toMatchObject({ io: { '48': 40, '66': '18446744073709551615', '89': { hex: '0102' }, '239': 0 }, ignition: false });
    expect(JSON.parse(text!)).not.toHaveProperty('externalVoltage');
    expect(JSON.parse(text!)).toHaveProperty('fuelLevel', 40); // 89 is bytes, not a number: 48 is used
    expect(text).toBe((reference('d1', 5, packet) as string[])[0]);
  });

  it('writes generationType last for Codec 16', () => {
    const [text] = fast('d1', 5, { codecId: CODEC_16, records: [{ timestamp: 1, priority: 0, longitude: 1, latitude: 1, altitude: 0, angle: 0, satellites: 0, speed: 0, eventIoId: 0, generationType: 3, io: [] }] }) as string[];
    expect(text!.endsWith(',"io":{},"generationType":3}')).toBe(true);
  });
});

describe('telemetryEventsJsonBytes', () => {
  /** The bytes version's views as text (or the error's code); `w` may have written before. */
  function bytes(w: JsonBytes, deviceId: string, receivedAt: number, packet: AvlPacket): Buffer[] | string {
    const out: Buffer[] = [];
    try {
      expect(telemetryEventsJsonBytes(deviceId, receivedAt, packet, w, out)).toBe(packet.records.length);
      return out;
    } catch (err) {
      expect(out).toEqual([]);
      return (err as TelemetryError).code;
    }
  }
  const asUtf8 = (texts: string[] | string) => (typeof texts === 'string' ? texts : texts.map((t) => Buffer.from(t, 'utf8')));

  it.each(CODECS)('writes the UTF-8 bytes of what telemetryEventsJson writes, and refuses the same packets (codec %d)', (codecId) => {
    // a small block size: texts move to new blocks often, and earlier views must keep their bytes
    const w = new JsonBytes(200);
    const kept: [Buffer, Buffer][] = [];
    fc.assert(
      fc.property(
        eventPacketArb(codecId),
        deviceIdArb,
        receivedAtArb,
        (packet, deviceId, receivedAt) => {
          const ours = bytes(w, deviceId, receivedAt, packet);
          expect(ours).toEqual(asUtf8(fast(deviceId, receivedAt, packet)));
          if (typeof ours !== 'string') for (const view of ours) kept.push([view, Buffer.from(view)]);
        },
      ),
      { numRuns: 1000 },
    );
    for (const [view, copy] of kept) expect(view.equals(copy)).toBe(true);
  });

  it('writes the wiki examples as telemetryEventsJson does', () => {
    const w = new JsonBytes();
    for (const example of WIKI_EXAMPLES) {
      if (!example.hex.startsWith('00000000')) continue;
      const packet = decodeTcpPacket(hexToBuffer(example.hex));
      expect(bytes(w, '356307042441013', 1560161090000, packet)).toEqual(asUtf8(fast('356307042441013', 1560161090000, packet)));
    }
  });

  it('JsonBytes writes text that is not ASCII as UTF-8', () => {
    const w = new JsonBytes(8);
    w.text('{"a":"');
    w.text('värde ✓ 😀');
    w.text('"}');
    expect(w.take().toString('utf8')).toBe('{"a":"värde ✓ 😀"}');
    w.text('x');
    expect(w.take().toString('utf8')).toBe('x');
  });
});

describe('JsonBytes.number', () => {
  /** What the writer writes for `n`, as text. */
  function written(n: number): string {
    const w = new JsonBytes(64);
    w.number(n);
    return w.take().toString('latin1');
  }

  it.each([
    0, -0, 1, -1, 9, 10, 99, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), 99_999_999, 100_000_000, 1_700_000_000_000, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER,
    2 ** 53, 1e21, 1e-6, -1e-6, 9e-7, 1e-7, 0.5, 12.8, 54.6012345, -180, 180, -179.9999999, 89.9999999, 1 / 3600, 0.1 + 0.2, 1e8 - 1e-7, 1e8 + 0.5,
    12345678.1234567, 99999999.9999999, Number.MIN_VALUE, Number.MAX_VALUE, Number.EPSILON,
    Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY,
  ])('writes %p as JSON.stringify does', (n) => {
    expect(written(n)).toBe(JSON.stringify(n));
  });

  it('writes every integer and every double as JSON.stringify does', () => {
    fc.assert(fc.property(fc.oneof(fc.maxSafeInteger(), fc.integer(), fc.double()), (n) => expect(written(n)).toBe(JSON.stringify(n))), { numRuns: 20_000 });
  });

  it('writes numbers one after another across block ends as JSON.stringify does', () => {
    // a tiny block: every number may start near a block's end and must move whole to the next
    const numbers = fc.array(fc.oneof(fc.maxSafeInteger(), fc.double(), fc.integer({ min: -1e15, max: 1e15 }).map((x) => x / 1e7), fc.constantFrom(1e15 / 1e7, -1e15 / 1e7, -Number.MAX_SAFE_INTEGER)), { maxLength: 40 });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 24 }), numbers, (blockSize, ns) => {
        const w = new JsonBytes(blockSize);
        const views: Buffer[] = [];
        for (const n of ns) {
          w.byte(0x2c);
          w.number(n);
          views.push(w.take());
        }
        expect(views.map((v) => v.toString('latin1'))).toEqual(ns.map((n) => `,${JSON.stringify(n)}`));
      }),
      { numRuns: 5_000 },
    );
  });

  it('writes coordinates and other whole counts of 1e-7 as JSON.stringify does', () => {
    // x / 1e7 for |x| up to 1e15 and beyond: the digit path's range and its edges
    const e7 = fc.oneof(fc.integer(), fc.integer({ min: -1_800_000_000, max: 1_800_000_000 }), fc.integer({ min: -100, max: 100 }), fc.maxSafeInteger()).map((x) => x / 1e7);
    fc.assert(fc.property(e7, (n) => expect(written(n)).toBe(JSON.stringify(n))), { numRuns: 50_000 });
  });

  it('writes thousandths, hundredths of an hour and other short decimals as JSON.stringify does', () => {
    const ratio = fc.tuple(fc.integer(), fc.constantFrom(10, 100, 1000, 3600, 60, 1e4, 1e5, 1e6, 1e8)).map(([a, b]) => a / b);
    fc.assert(fc.property(ratio, (n) => expect(written(n)).toBe(JSON.stringify(n))), { numRuns: 20_000 });
  });
});
