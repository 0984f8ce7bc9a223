import { createRequire } from 'node:module';
import { decodeRecordV0 } from './kafkajs-record-decoder.ts';

/**
 * Three of kafkajs 2.2.4's per-record produce costs and its per-record decoding cost, replaced by
 * equivalents before kafkajs loads (issue #21: "most of our cost is the client"; profile in
 * services/parse/README.md):
 *
 * - protocol/recordBatch/record/v0 encodes each record in a new Encoder (a zero-filled 512-byte
 *   buffer, grown by copies), each header in one more, and its varlong timestamp through Long
 *   objects; the replacement writes the same bytes into one buffer of the exact size.
 * - producer/groupMessagesPerPartition copies the partition's array for every message
 *   (`[...current, message]`), so a send costs O(n²) in the messages of one partition; the
 *   replacement pushes (same result: partition -> its messages in send order).
 * - protocol/recordBatch/crc32C checks every produced byte one table lookup at a time; the
 *   replacement is the same CRC-32C (Castagnoli) eight bytes per step (slice-by-8).
 * - protocol/recordBatch/record/v0/decoder (consume side) adds Long objects parsed from decimal
 *   strings for every record's offset and timestamp and spreads the headers object once per
 *   header; the replacement is kafkajs-record-decoder.ts (numbers while exact, same result).
 *
 * The modules are read by kafkajs at load time (`require` at the top of sendMessages.js and
 * recordBatch/v0), so they are put in Node's module cache first: this file must be imported
 * before the first `import 'kafkajs'` of the process (kafkajs-client.ts imports it first). When
 * kafkajs was already loaded, nothing is replaced and it returns false.
 */
export function applyKafkajsFastPaths(): boolean {
  const require = createRequire(import.meta.url);
  const Module = require('node:module') as { new (id: string): NodeJS.Module };
  const group = require.resolve('kafkajs/src/producer/groupMessagesPerPartition.js');
  const crc = require.resolve('kafkajs/src/protocol/recordBatch/crc32C/index.js');
  const record = require.resolve('kafkajs/src/protocol/recordBatch/record/v0/index.js');
  const recordDecoder = require.resolve('kafkajs/src/protocol/recordBatch/record/v0/decoder.js');
  const users = ['kafkajs/src/producer/sendMessages.js', 'kafkajs/src/protocol/recordBatch/v0/index.js', 'kafkajs/src/protocol/requests/produce/v3/request.js', 'kafkajs/src/protocol/recordBatch/v0/decoder.js'].map((p) =>
    require.resolve(p),
  );
  if ([group, crc, record, recordDecoder, ...users].some((p) => require.cache[p])) return false;
  const Encoder = require('kafkajs/src/protocol/encoder.js') as { prototype: object };
  const encodeRecord = (r: RecordInput) => {
    // an Encoder as kafkajs' own callers use one (`buf`, `offset`; `buffer` and `size()` from the prototype)
    const buf = encodeRecordV0(r);
    return Object.assign(Object.create(Encoder.prototype) as object, { buf, offset: buf.length });
  };
  for (const [path, exports] of [[group, groupMessagesPerPartition], [crc, crc32c], [record, encodeRecord], [recordDecoder, decodeRecordV0]] as const) {
    const m = new Module(path);
    m.filename = path;
    m.loaded = true;
    m.exports = exports;
    require.cache[path] = m;
  }
  return true;
}

/** kafkajs' groupMessagesPerPartition, linear: partition -> its messages, in the order given. */
export function groupMessagesPerPartition<M>(options: { topic: string; partitionMetadata: unknown[]; messages: M[]; partitioner: (o: { topic: string; partitionMetadata: unknown[]; message: M }) => number }): Record<number, M[]> {
  const { topic, partitionMetadata, messages, partitioner } = options;
  const result: Record<number, M[]> = {};
  if (partitionMetadata.length === 0) return result;
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message });
    (result[partition] ??= []).push(message);
  }
  return result;
}

/** Slice-by-8 tables of CRC-32C (reflected polynomial 0x82F63B78): table k at [k * 256, k * 256 + 256). */
const TABLES = (() => {
  const t = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) for (let k = 1; k < 8; k++) t[k * 256 + n] = (t[(k - 1) * 256 + n]! >>> 8) ^ t[t[(k - 1) * 256 + n]! & 0xff]!;
  return t;
})();

/**
 * CRC-32C of `buf` as an unsigned 32-bit number (what kafkajs' crc32C/index.js returns), eight
 * bytes per step: the running CRC is folded into the first four bytes, then each of the eight
 * bytes is looked up in the table of its distance to the end of the step.
 */
export function crc32c(buf: Uint8Array): number {
  const T = TABLES;
  let crc = -1;
  let i = 0;
  const n = buf.length;
  for (; i + 8 <= n; i += 8) {
    const a = crc ^ (buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24));
    crc =
      T[1792 + (a & 0xff)]! ^
      T[1536 + ((a >>> 8) & 0xff)]! ^
      T[1280 + ((a >>> 16) & 0xff)]! ^
      T[1024 + (a >>> 24)]! ^
      T[768 + buf[i + 4]!]! ^
      T[512 + buf[i + 5]!]! ^
      T[256 + buf[i + 6]!]! ^
      T[buf[i + 7]!]!;
  }
  for (; i < n; i++) crc = T[(crc ^ buf[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

/** What kafkajs' produce request hands its Record encoder (a message with its deltas). */
export interface RecordInput {
  offsetDelta?: number;
  timestampDelta?: number;
  key?: Buffer | string | null;
  value?: Buffer | string | null;
  headers?: Record<string, Buffer | string | null | (Buffer | string)[] | undefined>;
}

/** Bytes of a varint holding zigzag value `zz` (a non-negative integer below 2^64, exact up to 2^53). */
function varintSize(zz: number): number {
  let n = 1;
  while (zz >= 128) {
    zz = Math.floor(zz / 128);
    n++;
  }
  return n;
}

function writeVarint(buf: Buffer, at: number, zz: number): number {
  while (zz >= 128) {
    buf[at++] = (zz % 128) | 0x80;
    zz = Math.floor(zz / 128);
  }
  buf[at++] = zz;
  return at;
}

/** Zigzag of a safe integer (what kafkajs' encodeZigZag / encodeZigZag64 give, as a number). */
const zigzag = (v: number): number => (v >= 0 ? v * 2 : -v * 2 - 1);

const bytesOf = (v: Buffer | string | null | undefined): Buffer | null => (v == null ? null : Buffer.isBuffer(v) ? v : Buffer.from(String(v), 'utf8'));

/**
 * One Kafka record, v2 format, exactly as kafkajs' record/v0 writes it:
 *
 *     Record => Length:varint Attributes:int8 TimestampDelta:varlong OffsetDelta:varint
 *               Key:varint-bytes Value:varint-bytes Headers:[varint-string varint-bytes] (varint count)
 *
 * (null key, value or header value: length -1). Header values that are arrays give one header each.
 */
export function encodeRecordV0(r: RecordInput): Buffer {
  const key = bytesOf(r.key);
  const value = bytesOf(r.value);
  const headers: [Buffer, Buffer | null][] = [];
  if (r.headers) {
    for (const k of Object.keys(r.headers)) {
      const v = r.headers[k];
      const kb = Buffer.from(k, 'utf8');
      if (Array.isArray(v)) for (const one of v) headers.push([kb, bytesOf(one)]);
      else headers.push([kb, bytesOf(v)]);
    }
  }
  const ts = zigzag(r.timestampDelta ?? 0);
  const od = zigzag(r.offsetDelta ?? 0);
  const sizeOfBytes = (b: Buffer | null) => (b === null ? 1 : varintSize(b.length * 2) + b.length);
  let body = 1 + varintSize(ts) + varintSize(od) + sizeOfBytes(key) + sizeOfBytes(value) + varintSize(headers.length * 2);
  for (const [k, v] of headers) body += varintSize(k.length * 2) + k.length + sizeOfBytes(v);
  const buf = Buffer.allocUnsafe(varintSize(body * 2) + body);
  let at = writeVarint(buf, 0, body * 2);
  buf[at++] = 0; // attributes: none
  at = writeVarint(buf, at, ts);
  at = writeVarint(buf, at, od);
  const writeBytes = (b: Buffer | null) => {
    if (b === null) {
      buf[at++] = 1; // zigzag(-1)
      return;
    }
    at = writeVarint(buf, at, b.length * 2);
    at += b.copy(buf, at);
  };
  writeBytes(key);
  writeBytes(value);
  at = writeVarint(buf, at, headers.length * 2);
  for (const [k, v] of headers) {
    writeBytes(k);
    writeBytes(v);
  }
  return buf;
}
