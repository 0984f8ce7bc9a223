import { describe, expect, it } from '@jest/globals';
import {
  CODEC_16,
  CODEC_8,
  TelemetryError,
  crc16Ibm,
  decodeTcpPacket,
  encodeTcpPacket,
  frameTcp,
  hexToBuffer,
} from '../src/index.ts';
import type { AvlRecord } from '../src/index.ts';
import { WIKI_EXAMPLES } from './fixtures/teltonika-wiki-examples.ts';

const CODEC8_1 = hexToBuffer(WIKI_EXAMPLES[0]!.hex); // 66 bytes, one record, count 2 at 61, CRC at 62
const CODEC8_3 = hexToBuffer(WIKI_EXAMPLES[2]!.hex); // 79 bytes, two records (10..42, 42..74), count 2 at 74

/** Decodes and returns the TelemetryError (fails the test when something else happens). */
function decodeError(bytes: Buffer): TelemetryError {
  try {
    decodeTcpPacket(bytes);
  } catch (err) {
    if (err instanceof TelemetryError) return err;
    throw err;
  }
  throw new Error('decoded without error');
}

/** A copy with byte `at` replaced and the CRC recomputed, so only the edited field is wrong. */
function edit(bytes: Buffer, at: number, value: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[at] = value;
  const end = 8 + copy.readUInt32BE(4);
  copy.writeUInt32BE(crc16Ibm(copy, 8, end), end);
  return copy;
}

describe('decodeTcpPacket refuses bad packets with a code and the byte offset', () => {
  it.each([
    [
      'a non-zero preamble byte',
      'TELEMETRY_BAD_PREAMBLE',
      2,
      () => Buffer.concat([Buffer.from([0, 0, 1]), CODEC8_1.subarray(3)]),
    ],
    ['fewer than 8 bytes', 'TELEMETRY_TRUNCATED', 5, () => CODEC8_1.subarray(0, 5)],
    ['a packet cut before its end', 'TELEMETRY_TRUNCATED', 40, () => CODEC8_1.subarray(0, 40)],
    [
      'bytes after the packet',
      'TELEMETRY_LENGTH_MISMATCH',
      66,
      () => Buffer.concat([CODEC8_1, Buffer.from([0])]),
    ],
    [
      'a data field length below 3',
      'TELEMETRY_LENGTH_MISMATCH',
      4,
      () => Buffer.from('000000000000000208010000', 'hex'),
    ],
    [
      'a flipped bit in a record',
      'TELEMETRY_CRC_MISMATCH',
      62,
      () => Buffer.from(CODEC8_1).fill(0x40, 30, 31),
    ],
    [
      'a CRC field with non-zero upper bytes',
      'TELEMETRY_CRC_MISMATCH',
      62,
      () => Buffer.from(CODEC8_1).fill(1, 62, 63),
    ],
    [
      'number of data 2 differing from number of data 1',
      'TELEMETRY_COUNT_MISMATCH',
      74,
      () => edit(CODEC8_3, 8 + 0x43 - 1, 3),
    ],
    [
      'an I/O total that differs from the group counts',
      'TELEMETRY_COUNT_MISMATCH',
      35,
      () => edit(CODEC8_1, 35, 4),
    ],
    [
      'a record count larger than the records present',
      'TELEMETRY_TRUNCATED',
      61,
      () => edit(edit(CODEC8_1, 9, 2), 61, 2),
    ],
    [
      'a record count smaller than the records present',
      'TELEMETRY_LENGTH_MISMATCH',
      42,
      () => edit(edit(CODEC8_3, 9, 1), 74, 1),
    ],
    ['a group count that runs past the data', 'TELEMETRY_TRUNCATED', 52, () => edit(CODEC8_1, 51, 9)],
    ['a timestamp beyond 2^53 ms', 'TELEMETRY_BAD_TIMESTAMP', 10, () => edit(CODEC8_1, 10, 0xff)],
  ] as const)('%s -> %s at byte %i', (_case, code, offset, make) => {
    // Prepare
    const bytes = make();
    // Act
    const err = decodeError(bytes);
    // Assess
    expect({ code: err.code, offset: err.offset, retryable: err.retryable }).toEqual({
      code,
      offset,
      retryable: false,
    });
  });

  it('reports the CRC it read and the one it computed', () => {
    const err = decodeError(Buffer.from(CODEC8_1).fill(0x40, 30, 31));
    expect(err.details).toEqual({ stored: 0xc7cf, computed: expect.any(Number) });
    expect(err.message).toMatch(/packet says 0xc7cf, computed 0x[0-9a-f]{4}/);
  });

  it('refuses Codec 12 (a GPRS command, valid CRC) as TELEMETRY_UNKNOWN_CODEC at byte 8', () => {
    // The wiki's Codec 12 "getinfo" command packet.
    const err = decodeError(hexToBuffer('000000000000000F0C010500000007676574696E666F0100004312'));
    expect([err.code, err.offset, err.details]).toEqual(['TELEMETRY_UNKNOWN_CODEC', 8, { codecId: 0x0c }]);
  });

  it('answers a hostile 4 GiB data length with TELEMETRY_TRUNCATED without allocating for it', () => {
    const hostile = Buffer.from('00000000ffffffff08010000', 'hex');
    const err = decodeError(hostile);
    expect([err.code, err.offset, err.details]).toEqual([
      'TELEMETRY_TRUNCATED',
      12,
      { expected: 12 + 0xffffffff, actual: 12 },
    ]);
  });

  it('answers a hostile N8 count of 65535 in Codec 8 Extended with TELEMETRY_TRUNCATED', () => {
    const packet = encodeTcpPacket({ codecId: 0x8e, records: [record({ io: [] })] });
    // N8 count sits after the 24-byte GPS part, event id (2), total (2), N1/N2/N4 counts (2 each).
    const err = decodeError(edit(edit(packet, 10 + 24 + 4 + 6, 0xff), 10 + 24 + 4 + 7, 0xff));
    expect([err.code, err.offset]).toEqual(['TELEMETRY_TRUNCATED', 10 + 24 + 4 + 8]);
  });
});

function record(overrides: Partial<AvlRecord> = {}): AvlRecord {
  return {
    timestamp: 1700000000000,
    priority: 1,
    longitude: 25.2598066,
    latitude: -54.7009616,
    altitude: -12,
    angle: 359,
    satellites: 9,
    speed: 88,
    eventIoId: 239,
    io: [{ id: 239, width: 1, value: 1 }],
    ...overrides,
  };
}

describe('encodeTcpPacket', () => {
  it('round-trips negative coordinates and altitude exactly', () => {
    const packet = { codecId: CODEC_8, records: [record()] } as const;
    expect(decodeTcpPacket(encodeTcpPacket(packet))).toStrictEqual(packet);
  });

  it.each([
    [
      'an I/O value wider than its group',
      record({ io: [{ id: 1, width: 1, value: 256 }] }),
      'io 1',
    ],
    [
      'an 8-byte I/O value that is not a bigint',
      record({ io: [{ id: 1, width: 8, value: 5 as unknown as bigint }] }),
      'io 1',
    ],
    ['a Codec 8 I/O id above 255', record({ io: [{ id: 256, width: 1, value: 0 }] }), 'io 256 id'],
    [
      'a variable-length element in Codec 8',
      record({ io: [{ id: 2, width: 'nx', value: Buffer.alloc(1) }] }),
      'io 2',
    ],
    ['a fractional timestamp', record({ timestamp: 1.5 }), 'timestamp'],
    ['a latitude beyond int32 / 1e7', record({ latitude: 300 }), 'latitude'],
    ['an altitude beyond int16', record({ altitude: 40000 }), 'altitude'],
  ])('refuses %s with TELEMETRY_INVALID_RECORD naming the field', (_case, bad, field) => {
    expect(() => encodeTcpPacket({ codecId: CODEC_8, records: [bad] })).toThrow(
      expect.objectContaining({
        code: 'TELEMETRY_INVALID_RECORD',
        details: expect.objectContaining({ record: 0, field }),
      }),
    );
  });

  it('refuses a Codec 16 record without a generation type', () => {
    expect(() => encodeTcpPacket({ codecId: CODEC_16, records: [record()] })).toThrow(
      expect.objectContaining({
        code: 'TELEMETRY_INVALID_RECORD',
        details: { record: 0, field: 'generationType' },
      }),
    );
  });

  it('refuses more than 255 records', () => {
    const records = Array.from({ length: 256 }, () => record());
    expect(() => encodeTcpPacket({ codecId: CODEC_8, records })).toThrow(
      expect.objectContaining({ code: 'TELEMETRY_INVALID_RECORD' }),
    );
  });
});

describe('frameTcp finds packet boundaries in a byte stream', () => {
  it('asks for the rest of the header, then the rest of the packet', () => {
    expect(frameTcp(CODEC8_1.subarray(0, 3))).toEqual({ needed: 5 });
    expect(frameTcp(CODEC8_1.subarray(0, 20))).toEqual({ needed: 46 });
  });

  it('returns the first whole packet when more bytes follow', () => {
    const stream = Buffer.concat([CODEC8_1, CODEC8_3.subarray(0, 10)]);
    const { frame } = frameTcp(stream);
    expect(frame?.equals(CODEC8_1)).toBe(true);
  });

  it('fails fast on a non-zero preamble, even before 8 bytes arrived', () => {
    const { error } = frameTcp(Buffer.from([0, 7]));
    expect([error?.code, error?.offset]).toEqual(['TELEMETRY_BAD_PREAMBLE', 1]);
  });

  it('refuses a declared length above maxPacketSize without waiting for the bytes', () => {
    const { error } = frameTcp(Buffer.from('0000000000100000', 'hex'), { maxPacketSize: 4096 });
    expect([error?.code, error?.offset, error?.details]).toEqual([
      'TELEMETRY_PACKET_TOO_LARGE',
      4,
      { declared: 12 + 0x100000, maxPacketSize: 4096 },
    ]);
  });

  it('refuses a data length below the minimum', () => {
    expect(frameTcp(Buffer.from('0000000000000001', 'hex')).error?.code).toBe('TELEMETRY_LENGTH_MISMATCH');
  });
});
