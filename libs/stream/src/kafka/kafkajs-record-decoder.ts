/**
 * kafkajs 2.2.4's record decoder (protocol/recordBatch/record/v0/decoder.js) without its per-record
 * costs: it computes every record's offset and timestamp by parsing the batch's first offset and
 * first timestamp (decimal strings) into Long objects and adding Longs, reads the timestamp delta as
 * a Long varlong, and builds the headers object by spreading it once per header. This one does the
 * same with numbers while they are exact (below 2^53; BigInt beyond, as kafkajs' Long is),
 * parses the batch's first offset and timestamp once per batch, and reads the header keys without
 * a slice per key. Same result, field for field (tested against kafkajs' own decoder).
 * kafkajs-fast-paths.ts puts it in Node's module cache in place of kafkajs' file.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { KafkaJSInvalidLongError } = require('kafkajs/src/errors.js') as { KafkaJSInvalidLongError: new (message: string) => Error };

/** The part of kafkajs' Decoder the record decoder uses (protocol/decoder.js). */
export interface KafkajsDecoder {
  buffer: Buffer;
  offset: number;
  readInt8(): number;
}

/** What kafkajs' record batch decoder hands each record (recordBatch/v0/decoder.js recordContext). */
export interface RecordBatchContext {
  firstOffset: string;
  firstTimestamp: string;
  magicByte?: number;
  isControlBatch?: boolean;
  timestampType?: number;
  maxTimestamp?: string;
  [field: string]: unknown;
}

/** kafkajs' TimestampTypes.LOG_APPEND_TIME (protocol/timestampTypes.js). */
const LOG_APPEND_TIME = 1;
const SAFE = Number.MAX_SAFE_INTEGER;

/** The batch whose first offset and timestamp were parsed last (records of a batch come in a row). */
let lastContext: RecordBatchContext | undefined;
let firstOffset = 0;
let firstTimestamp = 0;

/** kafkajs' Decoder.readVarInt: zigzag varint, bits past 32 folded as kafkajs folds them. */
function readVarInt(d: KafkajsDecoder): number {
  const buf = d.buffer;
  let result = 0;
  let i = 0;
  let byte: number;
  do {
    byte = buf[d.offset++]!;
    result += (byte & 0x7f) << i;
    i += 7;
  } while (byte >= 0x80);
  return (result >>> 1) ^ -(result & 1);
}

/**
 * kafkajs' Decoder.readVarLong as a number when exact, else a bigint (zigzag decoded). Throws kafkajs' error where kafkajs throws (an 11th byte).
 */
function readVarLong(d: KafkajsDecoder): number | bigint {
  const buf = d.buffer;
  const start = d.offset;
  let value = 0;
  let scale = 1;
  let byte: number;
  do {
    byte = buf[d.offset++]!;
    value += (byte & 0x7f) * scale;
    scale *= 128;
  } while (byte >= 0x80 && scale <= 2 ** 42);
  // up to 7 bytes: below 2^49, exact as a number
  if (byte < 0x80) return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
  // longer: as a bigint (kafkajs' Long is a bigint too, unbounded: it neither wraps nor clamps)
  d.offset = start;
  let big = 0n;
  let shift = 0n;
  do {
    if (shift > 63n) throw new KafkaJSInvalidLongError('Invalid Long, must contain 9 bytes or less');
    byte = buf[d.offset++]!;
    big += BigInt(byte & 0x7f) << shift;
    shift += 7n;
  } while (byte >= 0x80);
  return (big >> 1n) ^ -(big & 1n);
}

/** `base + delta` as Long.fromValue(base).add(delta).toString() writes it (a bigint sum, unbounded). */
function sum(base: number, baseText: string, delta: number | bigint): string {
  if (typeof delta === 'number') {
    const n = base + delta;
    if (Math.abs(base) <= SAFE && Math.abs(n) <= SAFE) return `${n}`;
  }
  return (BigInt(baseText) + BigInt(delta)).toString();
}

/**
 * Set when a length below -1 moved a read back (only corrupt bytes have one): the batch decoder
 * (kafkajs-record-batch-decoder.ts) then cannot tell from the end position alone that every read
 * stayed inside the record, and decodes it again kafkajs' way. Reset by the batch decoder.
 */
export const readState = { movedBack: false };

/** One varint-length byte string: null for length -1, else a view (kafkajs' readVarIntBytes). */
function readBytes(d: KafkajsDecoder): Buffer | null {
  const length = readVarInt(d);
  if (length === -1) return null;
  if (length < 0) readState.movedBack = true;
  const start = d.offset;
  d.offset += length;
  return d.buffer.subarray(start, start + length);
}

/**
 *     Record => Length:varint Attributes:int8 TimestampDelta:varlong OffsetDelta:varint
 *               Key:varint-bytes Value:varint-bytes Headers:[HeaderKey:varint-string HeaderValue:varint-bytes]
 *
 * (the length was read by the batch decoder). A header key that repeats gives an array of its values.
 */
export function decodeRecordV0(decoder: KafkajsDecoder, batchContext: RecordBatchContext = { firstOffset: '0', firstTimestamp: '0' }) {
  const { magicByte, isControlBatch = false, timestampType, maxTimestamp } = batchContext;
  if (batchContext !== lastContext) {
    firstOffset = Number(batchContext.firstOffset);
    firstTimestamp = Number(batchContext.firstTimestamp);
    lastContext = batchContext;
  }
  const attributes = decoder.readInt8();
  const timestampDelta = readVarLong(decoder);
  const timestamp = timestampType === LOG_APPEND_TIME && maxTimestamp ? maxTimestamp : sum(firstTimestamp, String(batchContext.firstTimestamp), timestampDelta);
  const offset = sum(firstOffset, String(batchContext.firstOffset), readVarInt(decoder));
  const key = readBytes(decoder);
  const value = readBytes(decoder);
  const headers: Record<string, Buffer | null | (Buffer | null)[]> = {};
  const count = readVarInt(decoder);
  for (let i = 0; i < count; i++) {
    const length = readVarInt(decoder);
    let name = 'null';
    if (length < -1) readState.movedBack = true;
    if (length !== -1) {
      name = decoder.buffer.toString('utf8', decoder.offset, decoder.offset + length);
      decoder.offset += length;
    }
    const v = readBytes(decoder);
    // read through the prototype as kafkajs reads (`obj[key] === undefined`)
    const old = headers[name];
    const next = old === undefined ? v : Array.isArray(old) ? [...old, v] : [old, v];
    // an own property even for "__proto__", as kafkajs' spread `{ ...obj, [key]: … }` makes
    if (name === '__proto__') Object.defineProperty(headers, name, { value: next, enumerable: true, writable: true, configurable: true });
    else headers[name] = next;
  }
  return { magicByte, attributes, timestamp, offset, key, value, headers, isControlRecord: isControlBatch, batchContext };
}
