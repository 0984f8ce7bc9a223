import { describe, expect, it } from '@jest/globals';
import {
  TelemetryError,
  decodeUdpAck,
  decodeUdpPacket,
  encodeUdpAck,
  encodeUdpPacket,
  hexToBuffer,
} from '../src/index.ts';
import { WIKI_EXAMPLES } from './fixtures/teltonika-wiki-examples.ts';

// 63 bytes: length (0), packet id (2), not usable (4), AVL packet id (5), IMEI length (6), IMEI (8..23),
// codec (23), count (24), record (25..62), count 2 (62).
const UDP8 = hexToBuffer(WIKI_EXAMPLES.find((e) => e.name === 'Codec 8 UDP example')!.hex);

function decodeError(bytes: Buffer): TelemetryError {
  try {
    decodeUdpPacket(bytes);
  } catch (err) {
    if (err instanceof TelemetryError) return err;
    throw err;
  }
  throw new Error('decoded without error');
}

function patched(at: number, value: number): Buffer {
  const copy = Buffer.from(UDP8);
  copy[at] = value;
  return copy;
}

describe('decodeUdpPacket refuses bad datagrams with a code and the byte offset', () => {
  it.each([
    ['fewer than 8 bytes', 'TELEMETRY_TRUNCATED', 6, () => UDP8.subarray(0, 6)],
    ['a datagram shorter than its length field', 'TELEMETRY_TRUNCATED', 50, () => UDP8.subarray(0, 50)],
    [
      'bytes after the packet',
      'TELEMETRY_LENGTH_MISMATCH',
      63,
      () => Buffer.concat([UDP8, Buffer.from([1])]),
    ],
    ['an IMEI length past the end', 'TELEMETRY_TRUNCATED', 63, () => patched(6, 0x10)],
    ['an IMEI length of 0', 'TELEMETRY_BAD_IMEI', 6, () => Buffer.from('0006cafe01050000', 'hex')],
    ['a letter in the IMEI', 'TELEMETRY_BAD_IMEI', 10, () => patched(10, 0x41)],
    ['an unknown codec', 'TELEMETRY_UNKNOWN_CODEC', 23, () => patched(23, 0x0c)],
    [
      'number of data 2 differing from number of data 1',
      'TELEMETRY_COUNT_MISMATCH',
      62,
      () => patched(62, 2),
    ],
  ] as const)('%s -> %s at byte %i', (_case, code, offset, make) => {
    // Act
    const err = decodeError(make());
    // Assess
    expect([err.code, err.offset]).toEqual([code, offset]);
  });
});

describe('UDP encoding', () => {
  it('refuses an IMEI that is not digits with TELEMETRY_BAD_IMEI', () => {
    const packet = { ...decodeUdpPacket(UDP8), imei: '35209308640365X' };
    expect(() => encodeUdpPacket(packet)).toThrow(expect.objectContaining({ code: 'TELEMETRY_BAD_IMEI' }));
  });

  it('writes the ack with not-usable byte 0x01 unless told otherwise', () => {
    expect(encodeUdpAck({ packetId: 1, avlPacketId: 2, acceptedCount: 3 }).toString('hex')).toBe(
      '00050001010203',
    );
    expect(
      encodeUdpAck({ packetId: 1, notUsable: 0, avlPacketId: 2, acceptedCount: 3 }).toString('hex'),
    ).toBe('00050001000203');
  });

  it('refuses an ack that is not 7 bytes', () => {
    expect(() => decodeUdpAck(Buffer.from('000500010102', 'hex'))).toThrow(
      expect.objectContaining({ code: 'TELEMETRY_TRUNCATED' }),
    );
  });
});
