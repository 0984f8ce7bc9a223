import { describe, expect, it } from '@jest/globals';
import { MAX_IMEI_LENGTH, decodeImeiPacket, encodeImeiPacket, frameImei } from '../src/index.ts';

describe('the IMEI login packet', () => {
  it.each([
    ['an empty buffer', '', 'TELEMETRY_TRUNCATED', 0],
    ['fewer digits than the length says', '000f3335', 'TELEMETRY_TRUNCATED', 4],
    ['more bytes than the length says', '00013335', 'TELEMETRY_LENGTH_MISMATCH', 3],
    ['a length of 0', '0000', 'TELEMETRY_BAD_IMEI', 0],
    ['a non-digit', '0003333a35', 'TELEMETRY_BAD_IMEI', 3],
  ] as const)('refuses %s with %s at byte %i', (_case, hex, code, offset) => {
    expect(() => decodeImeiPacket(Buffer.from(hex, 'hex'))).toThrow(
      expect.objectContaining({ code, offset }),
    );
  });

  it('encodes an IMEI as a 2-byte length and its ASCII digits', () => {
    expect(encodeImeiPacket('123').toString('hex')).toBe('0003313233');
  });

  it(`refuses to encode an IMEI longer than ${MAX_IMEI_LENGTH} digits`, () => {
    expect(() => encodeImeiPacket('1'.repeat(MAX_IMEI_LENGTH + 1))).toThrow(
      expect.objectContaining({ code: 'TELEMETRY_BAD_IMEI' }),
    );
  });
});

describe('frameImei', () => {
  it('asks for the length, then the digits, then returns the packet', () => {
    const packet = encodeImeiPacket('356307042441013');
    expect(frameImei(packet.subarray(0, 1))).toEqual({ needed: 1 });
    expect(frameImei(packet.subarray(0, 5))).toEqual({ needed: 12 });
    expect(frameImei(Buffer.concat([packet, Buffer.from([0])])).frame?.equals(packet)).toBe(true);
  });

  it('refuses a declared length above 20 at once', () => {
    expect(frameImei(Buffer.from('0400', 'hex')).error?.code).toBe('TELEMETRY_BAD_IMEI');
  });
});
