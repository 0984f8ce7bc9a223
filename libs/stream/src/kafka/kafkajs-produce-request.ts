/**
 * kafkajs 2.2.4's produce request (protocol/requests/produce/v3/request.js, which v4–v7 reuse)
 * written into one buffer of its size. kafkajs spreads every message into a new object, encodes
 * each record into a Buffer of its own (kafkajs-fast-paths.ts' encodeRecordV0), copies the records
 * into the batch, and the batches, partitions and topics into Encoders that grow by doubling (a
 * zero-filled allocation and a copy at each step). This one measures every record first, then
 * writes the request's fields, batch headers and records in place: one allocation per request,
 * each record's bytes written once. Same bytes (tested against kafkajs' own, byte for byte);
 * kafkajs-fast-paths.ts puts it in Node's module cache in place of kafkajs' file.
 *
 *     Produce Request (v3) => TransactionalId:nullable-string Acks:int16 Timeout:int32
 *                             [Topic:string [Partition:int32 RecordSetSize:int32 RecordBatch]]
 *
 * The record batch (kafkajs-record-batch.ts) and its records (kafkajs-fast-paths.ts encodeRecordV0)
 * as kafkajs writes them. A compressed request, or one with a message that carries its own
 * timestamp (kafkajs sorts those as strings to find the batch's first one), goes to kafkajs' own
 * request unchanged: parse and the other stages send neither.
 */
import type { KafkajsEncoder } from './kafkajs-record-batch.ts';
import { measureRecord, writeRecord, type RecordInput, type RecordLengths } from './kafkajs-record-writer.ts';

/** A message as kafkajs' producer hands it to the request (a Message, maybe with a timestamp). */
interface ProduceMessage extends Omit<RecordInput, 'offsetDelta' | 'timestampDelta'> {
  timestamp?: unknown;
}

/** The produce request's argument (kafkajs' v3 request.js). */
export interface ProduceRequestInput {
  acks: number;
  timeout: number;
  transactionalId?: string | null;
  producerId?: unknown;
  producerEpoch?: number;
  compression?: number;
  topicData: { topic: string; partitions: { partition: number; firstSequence?: number; messages: ProduceMessage[] }[] }[];
}

/** What kafkajs' connection reads of a request (protocol/requests/produce/v3/request.js). */
export interface ProduceRequest {
  apiKey: number;
  apiVersion: number;
  apiName: string;
  expectResponse: () => boolean;
  encode: () => Promise<KafkajsEncoder>;
}

const MAGIC_BYTE = 2;
const TRANSACTIONAL_MASK = 16;
/** FirstOffset (8) + Length (4): the batch's bytes before its Length counts. */
const BEFORE_LENGTH = 12;
/** FirstOffset (8) to the records' count (4): the batch header kafkajs writes. */
const BATCH_HEADER = 61;
/** Where the CRC (int32 at 17) starts covering: Attributes, at 21. */
const CRC_AT = 17;
const CRC_FROM = 21;

/**
 * The replacement module's export, on kafkajs' own Encoder (for the int64 fields, written as
 * kafkajs writes a Long, number or string), Long (the default producer id), CRC-32C and the
 * original request (compressed or timestamped messages); `apiKey` is kafkajs' Produce key.
 */
export function createProduceRequestV3(deps: {
  Encoder: new () => KafkajsEncoder;
  Long: { fromInt(v: number): unknown };
  crc32c: (b: Buffer) => number;
  original: (input: ProduceRequestInput) => ProduceRequest;
  apiKey: number;
}): (input: ProduceRequestInput) => ProduceRequest {
  const { Encoder, Long, crc32c, original, apiKey } = deps;
  return (input) => {
    const { acks, timeout, transactionalId = null, producerId = Long.fromInt(-1), producerEpoch = 0, compression = 0, topicData } = input;
    const fallback = compression !== 0 || topicData.some((t) => t.partitions.some((p) => p.messages.some((m) => m.timestamp != null)));
    if (fallback) return original(input);
    return {
      apiKey,
      apiVersion: 3,
      apiName: 'Produce',
      expectResponse: () => acks !== 0,
      // async like kafkajs' (a throw becomes a rejection)
      encode: async () => encodeProduce({ acks, timeout, transactionalId, producerId, producerEpoch, topicData }, Encoder, crc32c),
    };
  };
}

function encodeProduce(
  input: Required<Pick<ProduceRequestInput, 'acks' | 'timeout' | 'transactionalId' | 'producerEpoch' | 'topicData'>> & { producerId: unknown },
  Encoder: new () => KafkajsEncoder,
  crc32c: (b: Buffer) => number,
): KafkajsEncoder {
  const { acks, timeout, transactionalId, producerId, producerEpoch, topicData } = input;
  const head = new Encoder().writeString(transactionalId).writeInt16(acks).writeInt32(timeout).writeInt32(topicData.length);
  const attributes = transactionalId ? TRANSACTIONAL_MASK : 0;
  // Pass 1: every record's size (and its parts' byte lengths, kept for pass 2), each batch's size.
  const lengths: RecordLengths = { values: [], at: 0 };
  let size = head.offset;
  const batchSizes: number[] = [];
  const nows: number[] = [];
  const topicNames: KafkajsEncoder[] = [];
  for (const t of topicData) {
    const name = new Encoder().writeString(t.topic);
    topicNames.push(name);
    size += name.offset + 4;
    for (const p of t.partitions) {
      // kafkajs' request reads the clock once per partition: the batch's first and max timestamp
      nows.push(Date.now());
      let batch = BATCH_HEADER;
      for (let i = 0; i < p.messages.length; i++) batch += measureRecord(p.messages[i]!, i, 0, lengths);
      batchSizes.push(batch);
      size += 8 + batch;
    }
  }
  // Pass 2: the bytes.
  const out = Buffer.allocUnsafe(size);
  let at = head.buf.copy(out, 0, 0, head.offset);
  let b = 0;
  for (let ti = 0; ti < topicData.length; ti++) {
    const t = topicData[ti]!;
    const name = topicNames[ti]!;
    at += name.buf.copy(out, at, 0, name.offset);
    out.writeInt32BE(t.partitions.length, at);
    at += 4;
    for (const p of t.partitions) {
      const batch = batchSizes[b]!;
      const now = nows[b++]!;
      out.writeInt32BE(p.partition, at);
      out.writeInt32BE(batch, at + 4);
      at += 8;
      const start = at;
      const header = new Encoder()
        .writeInt64(0) // first offset
        .writeInt32(batch - BEFORE_LENGTH)
        .writeInt32(0) // partition leader epoch
        .writeInt8(MAGIC_BYTE)
        .writeInt32(0) // the CRC, set below
        .writeInt16(attributes)
        .writeInt32(p.messages.length - 1) // last offset delta
        .writeInt64(now) // first timestamp
        .writeInt64(now) // max timestamp
        .writeInt64(producerId)
        .writeInt16(producerEpoch)
        .writeInt32(p.firstSequence ?? 0)
        .writeInt32(p.messages.length);
      at += header.buf.copy(out, at, 0, header.offset);
      for (let i = 0; i < p.messages.length; i++) at = writeRecord(p.messages[i]!, i, 0, out, at, lengths);
      out.writeUInt32BE(crc32c(out.subarray(start + CRC_FROM, at)), start + CRC_AT);
    }
  }
  return Object.assign(Object.create(Encoder.prototype) as KafkajsEncoder, { buf: out, offset: size });
}
