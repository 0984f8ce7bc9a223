/**
 * CRC-16/IBM (also called CRC-16/ARC): polynomial 0x8005 processed LSB first (reflected 0xA001),
 * initial value 0, no final XOR. Teltonika computes it over codec id .. number of data 2 and sends
 * it as a 4-byte big-endian field whose upper two bytes are zero. Check value: "123456789" -> 0xBB3D.
 */

const TABLES = buildTables();

/**
 * Slicing-by-8 tables: TABLES[0] is the classic byte table; TABLES[k][b] is the CRC contribution of
 * byte b followed by k zero bytes, so eight bytes are folded in per step.
 */
function buildTables(): Uint16Array[] {
  const tables = Array.from({ length: 8 }, () => new Uint16Array(256));
  const t0 = tables[0]!;
  for (let n = 0; n < 256; n++) {
    let crc = n;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
    t0[n] = crc;
  }
  for (let k = 1; k < 8; k++) {
    const prev = tables[k - 1]!;
    const table = tables[k]!;
    for (let n = 0; n < 256; n++) table[n] = (prev[n]! >>> 8) ^ t0[prev[n]! & 0xff]!;
  }
  return tables;
}

const [T0, T1, T2, T3, T4, T5, T6, T7] = TABLES as [
  Uint16Array,
  Uint16Array,
  Uint16Array,
  Uint16Array,
  Uint16Array,
  Uint16Array,
  Uint16Array,
  Uint16Array,
];

/**
 * CRC-16/IBM of `bytes[start, end)`: eight bytes per step (slicing-by-8), then byte by byte.
 *
 * @example crc16Ibm(Buffer.from('123456789')) === 0xbb3d
 */
export function crc16Ibm(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0;
  let i = start;
  for (const last = end - 8; i <= last; i += 8) {
    crc ^= bytes[i]! | (bytes[i + 1]! << 8);
    crc =
      T7[crc & 0xff]! ^
      T6[crc >>> 8]! ^
      T5[bytes[i + 2]!]! ^
      T4[bytes[i + 3]!]! ^
      T3[bytes[i + 4]!]! ^
      T2[bytes[i + 5]!]! ^
      T1[bytes[i + 6]!]! ^
      T0[bytes[i + 7]!]!;
  }
  for (; i < end; i++) crc = (crc >>> 8) ^ T0[(crc ^ bytes[i]!) & 0xff]!;
  return crc;
}
