/**
 * Property tests (fast-check), CI-sized: round trips for random valid packets of every codec over
 * TCP and UDP, and hostile input (random bytes, mutations of valid packets) that may only ever end
 * in a TelemetryError or in a packet that re-encodes to the very same bytes. The 1M-case runs are
 * in bench/fuzz-and-decode.ts.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  TelemetryError,
  codecName,
  decodeImeiPacket,
  decodeTcpPacket,
  decodeUdpPacket,
  encodeTcpPacket,
  encodeUdpPacket,
  frameTcp,
} from '../src/index.ts';
import { CODECS, packetArb, udpPacketArb } from './helpers/arbitraries.ts';

const RUNS = { numRuns: 300 };
const FUZZ_RUNS = { numRuns: 2000 };

/** Decodes; returns 'error' for a TelemetryError, rethrows anything else (fails the property). */
function outcome(
  decode: (b: Buffer) => unknown,
  encode: (p: never) => Buffer,
  bytes: Buffer,
): 'error' | 'exact' | 'different' {
  let packet: unknown;
  try {
    packet = decode(bytes);
  } catch (err) {
    if (err instanceof TelemetryError) return 'error';
    throw err;
  }
  return encode(packet as never).equals(bytes) ? 'exact' : 'different';
}

/** A mutation of valid bytes: flipped bytes, a cut, an insertion, or an overwritten length field. */
function mutationArb(valid: fc.Arbitrary<Buffer>): fc.Arbitrary<Buffer> {
  return valid.chain((bytes) =>
    fc.oneof(
      fc
        .array(fc.tuple(fc.nat(bytes.length - 1), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 3,
        })
        .map((edits) => {
          const copy = Buffer.from(bytes);
          for (const [at, value] of edits) copy[at] = value;
          return copy;
        }),
      fc.nat(bytes.length - 1).map((cut) => bytes.subarray(0, cut)),
      fc
        .tuple(fc.nat(bytes.length), fc.uint8Array({ minLength: 1, maxLength: 8 }))
        .map(([at, extra]) => Buffer.concat([bytes.subarray(0, at), extra, bytes.subarray(at)])),
      fc
        .tuple(fc.nat(Math.max(0, bytes.length - 4)), fc.integer({ min: 0, max: 0xffffffff }))
        .map(([at, value]) => {
          const copy = Buffer.from(bytes);
          if (copy.length >= at + 4) copy.writeUInt32BE(value, at);
          return copy;
        }),
    ),
  );
}

describe.each(CODECS.map((codecId) => [codecName(codecId), codecId] as const))(
  '%s',
  (_name, codecId) => {
    it('decodes every encoded TCP packet back to the same packet', () => {
      fc.assert(
        fc.property(packetArb(codecId), (packet) => {
          expect(decodeTcpPacket(encodeTcpPacket(packet))).toStrictEqual(packet);
        }),
        RUNS,
      );
    });

    it('decodes every encoded UDP packet back to the same packet', () => {
      fc.assert(
        fc.property(udpPacketArb(codecId), (packet) => {
          expect(decodeUdpPacket(encodeUdpPacket(packet))).toStrictEqual(packet);
        }),
        RUNS,
      );
    });

    it('frames every encoded TCP packet whole, whatever follows it', () => {
      fc.assert(
        fc.property(packetArb(codecId), fc.uint8Array({ maxLength: 16 }), (packet, tail) => {
          const bytes = encodeTcpPacket(packet);
          expect(frameTcp(Buffer.concat([bytes, tail])).frame?.equals(bytes)).toBe(true);
        }),
        RUNS,
      );
    });

    it('answers mutated TCP packets only with a TelemetryError or an exact re-encoding', () => {
      const mutated = mutationArb(packetArb(codecId, 2).map(encodeTcpPacket));
      fc.assert(
        fc.property(mutated, (bytes) => {
          expect(outcome(decodeTcpPacket, encodeTcpPacket, bytes)).not.toBe('different');
        }),
        FUZZ_RUNS,
      );
    });

    it('answers mutated UDP packets only with a TelemetryError or an exact re-encoding', () => {
      const mutated = mutationArb(udpPacketArb(codecId, 2).map(encodeUdpPacket));
      fc.assert(
        fc.property(mutated, (bytes) => {
          expect(outcome(decodeUdpPacket, encodeUdpPacket, bytes)).not.toBe('different');
        }),
        FUZZ_RUNS,
      );
    });
  },
);

describe('random bytes', () => {
  const bytes = fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b));

  it.each([
    ['TCP', decodeTcpPacket],
    ['UDP', decodeUdpPacket],
    ['IMEI login', decodeImeiPacket],
  ] as const)('make the %s decoder throw only TelemetryErrors', (_name, decode) => {
    fc.assert(
      fc.property(bytes, (input) => {
        try {
          decode(input);
        } catch (err) {
          expect(err).toBeInstanceOf(TelemetryError);
        }
      }),
      FUZZ_RUNS,
    );
  });

  it('with a valid TCP header and CRC still end in a TelemetryError or an exact packet', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xff }),
        fc.uint8Array({ maxLength: 200 }),
        (codecByte, body) => {
          const codec = [0x08, 0x8e, 0x10][codecByte % 3]!;
          const data = Buffer.concat([Buffer.from([codec]), body]);
          const packet = Buffer.alloc(12 + data.length);
          packet.writeUInt32BE(data.length, 4);
          data.copy(packet, 8);
          packet.writeUInt32BE(crcOf(data), 8 + data.length);
          expect(outcome(decodeTcpPacket, encodeTcpPacket, packet)).not.toBe('different');
        },
      ),
      FUZZ_RUNS,
    );
  });
});

function crcOf(data: Buffer): number {
  let crc = 0;
  for (const byte of data) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}
