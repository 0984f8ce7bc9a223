/**
 * The Teltonika IMEI login: the first packet a device sends on a TCP connection, answered with one
 * byte (0x01 accept, 0x00 reject) before any AVL packet flows. Also the IMEI rule shared with UDP.
 */
import { TelemetryError } from './errors.ts';

/** Server reply that accepts a device after its IMEI packet. */
export const IMEI_ACCEPT: Buffer = Buffer.from([0x01]);
/** Server reply that refuses a device; it closes and retries later. */
export const IMEI_REJECT: Buffer = Buffer.from([0x00]);
/** Longest IMEI (or serial) accepted; IMEIs are 15 digits, IMEISVs 16. */
export const MAX_IMEI_LENGTH = 20;

/**
 * Reads `length` bytes at `start` as an IMEI: 1..20 ASCII digits, else TELEMETRY_BAD_IMEI at the offending
 * byte. The caller has checked that the bytes are present.
 */
export function readImei(buf: Buffer, start: number, length: number): string {
  if (length < 1 || length > MAX_IMEI_LENGTH) {
    throw new TelemetryError('TELEMETRY_BAD_IMEI', `IMEI length ${length} is outside 1..${MAX_IMEI_LENGTH}`, {
      offset: start - 2,
      details: { length },
    });
  }
  for (let i = start; i < start + length; i++) {
    const c = buf[i]!;
    if (c < 0x30 || c > 0x39) {
      throw new TelemetryError(
        'TELEMETRY_BAD_IMEI',
        `IMEI byte 0x${c.toString(16).padStart(2, '0')} is not an ASCII digit`,
        {
          offset: i,
          details: { byte: c },
        },
      );
    }
  }
  return buf.toString('latin1', start, start + length);
}

/**
 * Decodes an IMEI login packet; the buffer must hold exactly one.
 *
 * Wire format: IMEI length (u16 BE) | IMEI as ASCII digits.
 *
 * @example decodeImeiPacket(hexToBuffer('000F333536333037303432343431303133')) // '356307042441013'
 */
export function decodeImeiPacket(buf: Buffer): string {
  if (buf.length < 2) {
    throw new TelemetryError(
      'TELEMETRY_TRUNCATED',
      `${buf.length} bytes: an IMEI packet starts with a 2-byte length`,
      {
        offset: buf.length,
      },
    );
  }
  const length = buf.readUInt16BE(0);
  if (buf.length !== 2 + length) {
    const short = buf.length < 2 + length;
    throw new TelemetryError(
      short ? 'TELEMETRY_TRUNCATED' : 'TELEMETRY_LENGTH_MISMATCH',
      `the IMEI packet says ${length} digits, ${buf.length - 2} bytes follow the length`,
      {
        offset: short ? buf.length : 2 + length,
        details: { declared: length, actual: buf.length - 2 },
      },
    );
  }
  return readImei(buf, 2, length);
}

/** Encodes an IMEI login packet (TELEMETRY_BAD_IMEI unless 1..20 ASCII digits). */
export function encodeImeiPacket(imei: string): Buffer {
  const buf = Buffer.alloc(2 + imei.length);
  buf.writeUInt16BE(imei.length, 0);
  buf.write(imei, 2, 'latin1');
  readImei(buf, 2, imei.length);
  return buf;
}

/** Result of {@link frameImei}: the whole login packet, or how many more bytes, or why never. */
export interface ImeiFrameResult {
  frame?: Buffer;
  needed?: number;
  error?: TelemetryError;
}

/**
 * Streaming helper: whether the bytes received so far on a new connection hold the whole IMEI
 * packet. A declared length over 20 is an error at once (no buffering for hostile lengths).
 */
export function frameImei(buf: Buffer): ImeiFrameResult {
  if (buf.length < 2) return { needed: 2 - buf.length };
  const length = buf.readUInt16BE(0);
  if (length < 1 || length > MAX_IMEI_LENGTH) {
    return {
      error: new TelemetryError(
        'TELEMETRY_BAD_IMEI',
        `IMEI length ${length} is outside 1..${MAX_IMEI_LENGTH}`,
        {
          offset: 0,
          details: { length },
        },
      ),
    };
  }
  if (buf.length < 2 + length) return { needed: 2 + length - buf.length };
  return { frame: buf.subarray(0, 2 + length) };
}
