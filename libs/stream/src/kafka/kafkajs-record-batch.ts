/**
 * kafkajs 2.2.4's record batch encoder and request frame without their extra copies.
 *
 * The record batch encoder (protocol/recordBatch/v0/index.js `RecordBatch`) with one
 * buffer instead of four: kafkajs copies the records into a body Encoder that grows by doubling
 * (zero-filled, copied at each step), copies the body again into the batch after the CRC, and once
 * more into a third Encoder after the first offset. This one sizes the batch from the encoded
 * records, writes the header fields with kafkajs' own Encoder (so Long and number arguments are
 * written as kafkajs writes them) and copies each record once. Compressed batches go to kafkajs'
 * own encoder. Same bytes (tested against kafkajs' own); kafkajs-fast-paths.ts puts it in Node's
 * module cache in place of kafkajs' file.
 *
 *     RecordBatch => FirstOffset:int64 Length:int32 PartitionLeaderEpoch:int32 Magic:int8 CRC:uint32
 *                    Attributes:int16 LastOffsetDelta:int32 FirstTimestamp:int64 MaxTimestamp:int64
 *                    ProducerId:int64 ProducerEpoch:int16 FirstSequence:int32 Records:[Record]
 *
 * (Length counts from PartitionLeaderEpoch to the end; the CRC-32C covers Attributes to the end.)
 */

/** kafkajs' Encoder, as far as the batch uses it (protocol/encoder.js). */
export interface KafkajsEncoder {
  buf: Buffer;
  offset: number;
  readonly buffer: Buffer;
  writeInt8(v: number): KafkajsEncoder;
  writeInt16(v: number): KafkajsEncoder;
  writeInt32(v: number): KafkajsEncoder;
  writeInt64(v: unknown): KafkajsEncoder;
  writeString(v: string | null): KafkajsEncoder;
}

/** RecordBatch's argument (the produce request passes the ones it sets). */
export interface RecordBatchInput {
  compression?: number;
  firstOffset?: unknown;
  firstTimestamp?: unknown;
  maxTimestamp?: unknown;
  partitionLeaderEpoch?: number;
  lastOffsetDelta?: number;
  transactional?: boolean;
  producerId?: unknown;
  producerEpoch?: number;
  firstSequence?: number;
  records?: KafkajsEncoder[];
}

type RecordBatch = (input: RecordBatchInput) => Promise<KafkajsEncoder>;

const MAGIC_BYTE = 2;
const TRANSACTIONAL_MASK = 16;
/** Epoch (4) + magic (1) + CRC (4) before the CRC-covered part. */
const BEFORE_CRC_PART = 9;

/**
 * The replacement module's `RecordBatch`, built on kafkajs' own Encoder class, CRC-32C and
 * RecordBatch (for compressed batches); `compressionMask` is kafkajs' COMPRESSION_CODEC_MASK.
 */
export function createRecordBatch(Encoder: new () => KafkajsEncoder, crc32c: (b: Buffer) => number, original: RecordBatch, compressionMask: number): RecordBatch {
  const asEncoder = (buf: Buffer): KafkajsEncoder => Object.assign(Object.create(Encoder.prototype) as KafkajsEncoder, { buf, offset: buf.length });
  return async (input) => {
    const { compression = 0, records = [] } = input;
    if (compression !== 0) return original(input);
    const attributes = (compression & compressionMask) | (input.transactional ? TRANSACTIONAL_MASK : 0);
    const now = Date.now();
    const head = new Encoder()
      .writeInt64(input.firstOffset ?? 0)
      .writeInt32(0) // the length, set below
      .writeInt32(input.partitionLeaderEpoch ?? 0)
      .writeInt8(MAGIC_BYTE)
      .writeInt32(0) // the CRC, set below
      .writeInt16(attributes)
      .writeInt32(input.lastOffsetDelta ?? 0)
      .writeInt64(input.firstTimestamp ?? now)
      .writeInt64(input.maxTimestamp ?? now)
      .writeInt64(input.producerId ?? -1)
      .writeInt16(input.producerEpoch ?? 0)
      .writeInt32(input.firstSequence ?? 0)
      .writeInt32(records.length);
    let size = head.offset;
    for (const r of records) size += r.offset;
    const out = Buffer.allocUnsafe(size);
    head.buf.copy(out, 0, 0, head.offset);
    let at = head.offset;
    for (const r of records) at += r.buf.copy(out, at, 0, r.offset);
    out.writeInt32BE(size - 12, 8);
    // the CRC (at 17, after the first offset, length, epoch and magic) covers attributes to the end
    out.writeUInt32BE(crc32c(out.subarray(12 + BEFORE_CRC_PART)), 17);
    return asEncoder(out);
  };
}

/** What kafkajs' connection hands protocol/request.js. */
export interface RequestInput {
  correlationId: number;
  clientId: string | null;
  request: { apiKey: number; apiVersion: number; encode: () => Promise<KafkajsEncoder> | KafkajsEncoder };
}

/**
 * kafkajs' protocol/request.js (a request's frame) with one copy of the payload instead of two
 * into growing Encoders (every produced byte goes through it):
 *
 *     Request => Size:int32 ApiKey:int16 ApiVersion:int16 CorrelationId:int32 ClientId:string Payload
 */
export function createRequestEncoder(Encoder: new () => KafkajsEncoder) {
  return async ({ correlationId, clientId, request: { apiKey, apiVersion, encode } }: RequestInput): Promise<KafkajsEncoder> => {
    const payload = await encode();
    const head = new Encoder().writeInt32(0).writeInt16(apiKey).writeInt16(apiVersion).writeInt32(correlationId).writeString(clientId);
    const size = head.offset + payload.offset;
    const out = Buffer.allocUnsafe(size);
    head.buf.copy(out, 0, 0, head.offset);
    payload.buf.copy(out, head.offset, 0, payload.offset);
    out.writeInt32BE(size - 4, 0);
    return Object.assign(Object.create(Encoder.prototype) as KafkajsEncoder, { buf: out, offset: size });
  };
}
