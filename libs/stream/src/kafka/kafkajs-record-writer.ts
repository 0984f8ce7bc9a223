/**
 * One Kafka record, v2 format, exactly as kafkajs' record/v0 writes it, in two steps: measure
 * (its size, and the byte length of each part, kept in a list) then write (into a buffer the caller
 * sized), so a whole batch or request is measured first and written into one allocation
 * (kafkajs-produce-request.ts); encodeRecordV0 (kafkajs-fast-paths.ts) is both steps for one record.
 *
 *     Record => Length:varint Attributes:int8 TimestampDelta:varlong OffsetDelta:varint
 *               Key:varint-bytes Value:varint-bytes Headers:[varint-string varint-bytes] (varint count)
 *
 * (null key, value or header value: length -1). Header values that are arrays give one header each.
 * Strings (header names and values, string keys and values) are written straight into the record's
 * buffer, without a Buffer of their own.
 */

/** What kafkajs' produce request hands its Record encoder (a message with its deltas). */
export interface RecordInput {
  offsetDelta?: number;
  timestampDelta?: number;
  key?: Buffer | string | null;
  value?: Buffer | string | null;
  headers?: Record<string, Buffer | string | null | (Buffer | string)[] | undefined>;
}

/**
 * The byte lengths measureRecord found, in the order writeRecord reads them: per record its body
 * length, its header count, then each part's length (-1: null). `at` is writeRecord's position.
 */
export interface RecordLengths {
  values: number[];
  at: number;
}

/** Bytes of a varint holding zigzag value `zz` (a non-negative integer below 2^64, exact up to 2^53). */
export function varintSize(zz: number): number {
  let n = 1;
  while (zz >= 128) {
    zz = Math.floor(zz / 128);
    n++;
  }
  return n;
}

export function writeVarint(buf: Buffer, at: number, zz: number): number {
  while (zz >= 128) {
    buf[at++] = (zz % 128) | 0x80;
    zz = Math.floor(zz / 128);
  }
  buf[at++] = zz;
  return at;
}

/** Zigzag of a safe integer (what kafkajs' encodeZigZag / encodeZigZag64 give, as a number). */
const zigzag = (v: number): number => (v >= 0 ? v * 2 : -v * 2 - 1);

/** A key, value or header part: a Buffer as is, null, or anything else as its UTF-8 text. */
type Part = Buffer | string | null;
const partOf = (v: Buffer | string | null | undefined): Part => (v == null ? null : Buffer.isBuffer(v) ? v : typeof v === 'string' ? v : String(v));

const partLength = (p: Part): number => (p === null ? -1 : typeof p === 'string' ? Buffer.byteLength(p, 'utf8') : p.length);
const partSize = (length: number): number => (length < 0 ? 1 : varintSize(length * 2) + length);

/**
 * Measures record `r` with these deltas (kafkajs: `offsetDelta`, `timestampDelta` of the message):
 * returns its whole size (the length varint included) and appends its lengths to `lengths.values`.
 */
export function measureRecord(r: RecordInput, offsetDelta: number, timestampDelta: number, lengths: RecordLengths): number {
  const values = lengths.values;
  const bodyAt = values.length;
  values.push(0, 0);
  let body = 1 + varintSize(zigzag(timestampDelta)) + varintSize(zigzag(offsetDelta));
  let length = partLength(partOf(r.key));
  values.push(length);
  body += partSize(length);
  length = partLength(partOf(r.value));
  values.push(length);
  body += partSize(length);
  let headerCount = 0;
  const headers = r.headers;
  if (headers) {
    for (const k in headers) {
      if (!Object.hasOwn(headers, k)) continue;
      const v = headers[k];
      if (Array.isArray(v)) {
        for (const one of v) {
          body += measureHeader(k, one, values);
          headerCount++;
        }
      } else {
        body += measureHeader(k, v, values);
        headerCount++;
      }
    }
  }
  body += varintSize(headerCount * 2);
  values[bodyAt] = body;
  values[bodyAt + 1] = headerCount;
  return varintSize(body * 2) + body;
}

function measureHeader(k: string, v: Buffer | string | null | undefined, values: number[]): number {
  const kl = Buffer.byteLength(k, 'utf8');
  const vl = partLength(partOf(v));
  values.push(kl, vl);
  return partSize(kl) + partSize(vl);
}

/** Writes part `p` of byte length `length` (from measureRecord) at `at`; returns the position after it. */
function writePart(buf: Buffer, at: number, p: Part, length: number): number {
  if (length < 0) {
    buf[at] = 1; // zigzag(-1)
    return at + 1;
  }
  at = writeVarint(buf, at, length * 2);
  if (typeof p === 'string') buf.write(p, at, length, 'utf8');
  else buf.set(p!, at);
  return at + length;
}

/**
 * Writes record `r` (measured by measureRecord with the same deltas, the records in the same order)
 * into `buf` at `at`; returns the position after it.
 */
export function writeRecord(r: RecordInput, offsetDelta: number, timestampDelta: number, buf: Buffer, at: number, lengths: RecordLengths): number {
  const values = lengths.values;
  let li = lengths.at;
  const body = values[li++]!;
  const headerCount = values[li++]!;
  at = writeVarint(buf, at, body * 2);
  buf[at++] = 0; // attributes: none
  at = writeVarint(buf, at, zigzag(timestampDelta));
  at = writeVarint(buf, at, zigzag(offsetDelta));
  at = writePart(buf, at, partOf(r.key), values[li++]!);
  at = writePart(buf, at, partOf(r.value), values[li++]!);
  at = writeVarint(buf, at, headerCount * 2);
  const headers = r.headers;
  if (headers && headerCount > 0) {
    for (const k in headers) {
      if (!Object.hasOwn(headers, k)) continue;
      const v = headers[k];
      if (Array.isArray(v)) {
        for (const one of v) {
          at = writePart(buf, at, k, values[li++]!);
          at = writePart(buf, at, partOf(one), values[li++]!);
        }
      } else {
        at = writePart(buf, at, k, values[li++]!);
        at = writePart(buf, at, partOf(v), values[li++]!);
      }
    }
  }
  lengths.at = li;
  return at;
}
