import { TelemetryError } from './errors.ts';

/**
 * Parses hex text into bytes. Whitespace anywhere is ignored (so wiki dumps like "00 00 00 36" or
 * wrapped lines work), as is one leading "0x"; digits may be upper or lower case. Anything else, or
 * an odd digit count, is TELEMETRY_BAD_HEX with `offset` = the character position in `text`.
 *
 * @example hexToBuffer('000F 3335') // <Buffer 00 0f 33 35>
 */
export function hexToBuffer(text: string): Buffer {
  let body = text;
  let shift = 0;
  const lead = body.search(/\S/);
  if (lead >= 0 && /^0x/i.test(body.slice(lead, lead + 2))) {
    shift = lead + 2;
    body = body.slice(shift);
  }
  const bad = body.search(/[^0-9a-fA-F\s]/);
  if (bad >= 0) {
    const char = JSON.stringify(body[bad]);
    throw new TelemetryError('TELEMETRY_BAD_HEX', `${char} is not a hex digit`, {
      offset: bad + shift,
      details: { char: body[bad] },
    });
  }
  const digits = body.replace(/\s+/g, '');
  if (digits.length % 2 !== 0) {
    throw new TelemetryError('TELEMETRY_BAD_HEX', `odd number of hex digits (${digits.length})`, {
      offset: text.length,
      details: { digits: digits.length },
    });
  }
  return Buffer.from(digits, 'hex');
}

/** Lowercase hex without prefix or separators. */
export function bufferToHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}
