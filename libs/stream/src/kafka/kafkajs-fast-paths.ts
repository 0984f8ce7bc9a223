import { createRequire } from 'node:module';
import { decodeRecordV0, readState } from './kafkajs-record-decoder.ts';
import { createRecordBatch, createRequestEncoder, type KafkajsEncoder } from './kafkajs-record-batch.ts';
import { createProduceRequestV3, type ProduceRequest, type ProduceRequestInput } from './kafkajs-produce-request.ts';
import { createBatch, type KafkajsLong } from './kafkajs-batch.ts';
import { createRecordBatchDecoder } from './kafkajs-record-batch-decoder.ts';
import { measureRecord, writeRecord, type RecordInput, type RecordLengths } from './kafkajs-record-writer.ts';

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
 * - producer/partitioners/default/murmur2 hashes each key with kafkajs' Long (a bigint) for every
 *   multiply, and legacy/partitioner (the default partitioner's body) filters the partition list
 *   into a new array for every message, key or not; the replacements are the same 32-bit murmur2
 *   with Math.imul and the same partitioner that filters only for a message without key.
 * - protocol/recordBatch/v0 copies every produced byte three more times into growing Encoders, and
 *   protocol/request.js (every request's frame) twice more; the replacements
 *   (kafkajs-record-batch.ts) write the batch, and the frame, into one buffer of its size.
 * - protocol/requests/produce/v3/request.js (v4–v7 reuse it) spreads every message into a new
 *   object, encodes each record into a Buffer of its own and copies records, batches and
 *   partitions through growing Encoders; the replacement (kafkajs-produce-request.ts) measures the
 *   records, then writes the whole request into one buffer of its size.
 * - protocol/recordBatch/v0/decoder.js slices every record's bytes into a new Buffer and Decoder;
 *   the replacement (kafkajs-record-batch-decoder.ts) decodes each record in place.
 * - consumer/batch.js parses every fetched message's offset into a Long to compare it with the
 *   fetched offset; the replacement (kafkajs-batch.ts) compares numbers while they are exact.
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
  const batch = require.resolve('kafkajs/src/protocol/recordBatch/v0/index.js');
  const request = require.resolve('kafkajs/src/protocol/request.js');
  const murmur = require.resolve('kafkajs/src/producer/partitioners/default/murmur2.js');
  const partitioner = require.resolve('kafkajs/src/producer/partitioners/legacy/partitioner.js');
  const produce = require.resolve('kafkajs/src/protocol/requests/produce/v3/request.js');
  const consumerBatch = require.resolve('kafkajs/src/consumer/batch.js');
  const batchDecoder = require.resolve('kafkajs/src/protocol/recordBatch/v0/decoder.js');
  const users = [
    'kafkajs/src/producer/sendMessages.js',
    'kafkajs/src/consumer/consumerGroup.js',
    'kafkajs/src/protocol/requests/produce/v4/request.js',
    'kafkajs/src/network/connection.js',
    'kafkajs/src/protocol/requests/fetch/v4/decodeMessages.js',
    'kafkajs/src/producer/partitioners/default/index.js',
    'kafkajs/src/producer/partitioners/legacy/index.js',
  ].map((p) => require.resolve(p));
  if ([group, crc, record, recordDecoder, batch, request, murmur, partitioner, produce, consumerBatch, batchDecoder, ...users].some((p) => require.cache[p])) return false;
  const randomBytes = require('kafkajs/src/producer/partitioners/legacy/randomBytes.js') as (size: number) => Buffer;
  const Encoder = require('kafkajs/src/protocol/encoder.js') as { prototype: object };
  const encodeRecord = (r: RecordInput) => {
    // an Encoder as kafkajs' own callers use one (`buf`, `offset`; `buffer` and `size()` from the prototype)
    const buf = encodeRecordV0(r);
    return Object.assign(Object.create(Encoder.prototype) as object, { buf, offset: buf.length });
  };
  // kafkajs' own batch encoder (for compressed batches), loaded on the fast CRC
  const crcModule = new Module(crc);
  crcModule.filename = crc;
  crcModule.loaded = true;
  crcModule.exports = crc32c;
  require.cache[crc] = crcModule;
  const originalBatch = require(batch) as { RecordBatch: Parameters<typeof createRecordBatch>[2]; MAGIC_BYTE: number };
  const { COMPRESSION_CODEC_MASK } = require('kafkajs/src/protocol/message/compression/index.js') as { COMPRESSION_CODEC_MASK: number };
  const batchExports = { ...originalBatch, RecordBatch: createRecordBatch(Encoder as unknown as new () => KafkajsEncoder, crc32c, originalBatch.RecordBatch, COMPRESSION_CODEC_MASK) };
  const replacements = [
    [batch, batchExports],
    [request, createRequestEncoder(Encoder as unknown as new () => KafkajsEncoder)],
    [group, groupMessagesPerPartition],
    [crc, crc32c],
    [record, encodeRecord],
    [recordDecoder, decodeRecordV0],
    [murmur, murmur2],
    [partitioner, (hash: (key: Buffer | string) => number) => createPartitioner(hash, randomBytes)],
  ] as const;
  const put = (path: string, exports: unknown) => {
    const m = new Module(path);
    m.filename = path;
    m.loaded = true;
    m.exports = exports;
    require.cache[path] = m;
  };
  for (const [path, exports] of replacements) put(path, exports);
  // kafkajs' own produce request (on the replacements above), for what the fast one hands back
  const originalProduce = require(produce) as (input: ProduceRequestInput) => ProduceRequest;
  const { Produce: apiKey } = require('kafkajs/src/protocol/requests/apiKeys.js') as { Produce: number };
  const Long = require('kafkajs/src/utils/long.js') as KafkajsLong & { fromInt(v: number): unknown };
  put(
    batchDecoder,
    createRecordBatchDecoder({
      Decoder: require('kafkajs/src/protocol/decoder.js') as Parameters<typeof createRecordBatchDecoder>[0]['Decoder'],
      KafkaJSPartialMessageError: (require('kafkajs/src/errors.js') as { KafkaJSPartialMessageError: new (m: string) => Error }).KafkaJSPartialMessageError,
      lookupCodecByAttributes: (require('kafkajs/src/protocol/message/compression/index.js') as Pick<Parameters<typeof createRecordBatchDecoder>[0], 'lookupCodecByAttributes'>).lookupCodecByAttributes,
      TimestampTypes: require('kafkajs/src/protocol/timestampTypes.js') as { LOG_APPEND_TIME: number; CREATE_TIME: number },
      RecordDecoder: decodeRecordV0 as unknown as Parameters<typeof createRecordBatchDecoder>[0]['RecordDecoder'],
      readState,
    }),
  );
  const OriginalBatch = require(consumerBatch) as { prototype: object };
  const filterAborted = require('kafkajs/src/consumer/filterAbortedMessages.js') as Parameters<typeof createBatch>[2];
  put(consumerBatch, createBatch(OriginalBatch, Long, filterAborted));
  put(produce, createProduceRequestV3({ Encoder: Encoder as unknown as new () => KafkajsEncoder, Long, crc32c, original: originalProduce, apiKey }));
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

/**
 * Kafka's murmur2 of a key (the Java client's Utils.murmur2; a string key as its UTF-8 bytes), as
 * a signed 32-bit number: what kafkajs' default/murmur2.js returns (its bigint arithmetic keeps
 * more bits, but only the low 32 reach the result, and those are these).
 */
export function murmur2(key: Buffer | string): number {
  const data = Buffer.isBuffer(key) ? key : Buffer.from(String(key));
  const length = data.length;
  const m = 0x5bd1e995;
  let h = (0x9747b28c ^ length) | 0;
  const length4 = length & ~3;
  for (let i = 0; i < length4; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  // the last 1 to 3 bytes (the Java switch falls through from case 3 to case 1)
  const rest = length & 3;
  if (rest === 3) h ^= data[length4 + 2]! << 16;
  if (rest >= 2) h ^= data[length4 + 1]! << 8;
  if (rest >= 1) {
    h ^= data[length4]!;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h;
}

/** What kafkajs hands a partitioner: the topic, its partitions and the message. */
export interface PartitionerInput {
  topic: string;
  partitionMetadata: { partitionId: number; leader: number }[];
  message: { key?: Buffer | string | null; partition?: number | null };
}

/**
 * kafkajs' legacy/partitioner.js (the default partitioner is it with murmur2): the message's own
 * partition, else murmur2 of its key modulo the partition count, else round robin over the
 * partitions that have a leader (from a random start per topic), else over all. The list of
 * partitions with a leader is built only for a message without key (kafkajs builds it for each).
 */
export function createPartitioner(hash: (key: Buffer | string) => number, randomBytes: (size: number) => Buffer) {
  return () => {
    const counters: Record<string, number> = {};
    return ({ topic, partitionMetadata, message }: PartitionerInput): number => {
      if (!(topic in counters)) counters[topic] = randomBytes(32).readUInt32BE(0);
      if (message.partition !== null && message.partition !== undefined) return message.partition;
      const numPartitions = partitionMetadata.length;
      if (message.key !== null && message.key !== undefined) return (hash(message.key) & 0x7fffffff) % numPartitions;
      const available = partitionMetadata.filter((p) => p.leader >= 0);
      counters[topic] = counters[topic]! + 1;
      if (available.length > 0) return available[(counters[topic]! & 0x7fffffff) % available.length]!.partitionId;
      return (counters[topic]! & 0x7fffffff) % numPartitions;
    };
  };
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

export type { RecordInput };

/** The record's bytes, scratch list of its lengths reused: encoding is synchronous. */
const scratch: RecordLengths = { values: [], at: 0 };

/**
 * One Kafka record, v2 format, exactly as kafkajs' record/v0 writes it, into one buffer of its size
 * (kafkajs-record-writer.ts has the format).
 */
export function encodeRecordV0(r: RecordInput): Buffer {
  scratch.values.length = 0;
  scratch.at = 0;
  const offsetDelta = r.offsetDelta ?? 0;
  const timestampDelta = r.timestampDelta ?? 0;
  const buf = Buffer.allocUnsafe(measureRecord(r, offsetDelta, timestampDelta, scratch));
  writeRecord(r, offsetDelta, timestampDelta, buf, 0, scratch);
  return buf;
}
