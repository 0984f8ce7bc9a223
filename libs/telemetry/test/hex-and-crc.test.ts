import { describe, expect, it } from '@jest/globals';
import { bufferToHex, crc16Ibm, hexToBuffer } from '../src/index.ts';

describe('hexToBuffer', () => {
  it('accepts upper and lower case, whitespace and one leading 0x', () => {
    expect(bufferToHex(hexToBuffer(' 0x00 0F\n33aB '))).toBe('000f33ab');
  });

  it.each([
    ['a non-hex character', '00zz', 2],
    ['a 0x in the middle', '000x12', 3],
    ['an odd number of digits', '000', 3],
  ])('refuses %s with TELEMETRY_BAD_HEX at character %i', (_case, text, offset) => {
    expect(() => hexToBuffer(text)).toThrow(expect.objectContaining({ code: 'TELEMETRY_BAD_HEX', offset }));
  });
});

describe('crc16Ibm', () => {
  it('gives the CRC-16/ARC check value 0xBB3D for "123456789"', () => {
    expect(crc16Ibm(Buffer.from('123456789'))).toBe(0xbb3d);
  });

  it('gives 0xC7CF for the data field of the wiki Codec 8 example', () => {
    const packet = hexToBuffer(
      '000000000000003608010000016B40D8EA30010000000000000000000000000000000105021503010101425E0F01F10000601A014E0000000000000000010000C7CF',
    );
    expect(crc16Ibm(packet, 8, 62)).toBe(0xc7cf);
  });
});
