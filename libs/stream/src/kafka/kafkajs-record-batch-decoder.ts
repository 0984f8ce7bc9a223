/**
 * kafkajs 2.2.4's record batch decoder (protocol/recordBatch/v0/decoder.js) without a slice and a
 * Decoder per record: for each record it reads the record's length, slices the record's bytes into
 * a new Buffer view and wraps them in a new Decoder for the record decoder. This one lets the record
 * decoder read the record in the batch's own Decoder; a record the decoder would read outside of
 * (corrupt lengths), or that it fails on, is decoded again kafkajs' way, so the result (or error) is kafkajs'. The
 * rest (batch header, compressed batches) is kafkajs' code as it is. kafkajs-fast-paths.ts puts it
 * in Node's module cache in place of kafkajs' file.
 *
 *     RecordBatch => FirstOffset:int64 Length:int32 PartitionLeaderEpoch:int32 Magic:int8 CRC:int32
 *                    Attributes:int16 LastOffsetDelta:int32 FirstTimestamp:int64 MaxTimestamp:int64
 *                    ProducerId:int64 ProducerEpoch:int16 FirstSequence:int32 Records:[Length:varint Record]
 */

/** kafkajs' Decoder, as far as the batch decoder uses it (protocol/decoder.js). */
export interface BatchDecoder {
  buffer: Buffer;
  offset: number;
  readInt8(): number;
  readInt16(): number;
  readInt32(): number;
  readInt64(): { toString(): string };
  readVarInt(): number;
  readVarIntBytes(): Buffer | null;
  readAll(): Buffer;
  readArray<T>(reader: (d: BatchDecoder) => T): T[];
  slice(size: number): BatchDecoder;
  forward(size: number): void;
}

type RecordDecoder = (decoder: BatchDecoder, context: Record<string, unknown>) => unknown;

const TIMESTAMP_TYPE_FLAG_MASK = 0x8;
const TRANSACTIONAL_FLAG_MASK = 0x10;
const CONTROL_FLAG_MASK = 0x20;

/**
 * The replacement module's export, on kafkajs' own Decoder class, partial-message error, codec
 * lookup, timestamp types and record decoder (kafkajs-record-decoder.ts in a fast process).
 */
export function createRecordBatchDecoder(deps: {
  Decoder: new (buffer: Buffer | null) => BatchDecoder;
  KafkaJSPartialMessageError: new (message: string) => Error;
  lookupCodecByAttributes: (attributes: number) => { decompress(b: Buffer): Promise<Buffer> } | undefined | null;
  TimestampTypes: { LOG_APPEND_TIME: number; CREATE_TIME: number };
  RecordDecoder: RecordDecoder;
  /** The record decoder's flag for a read moved back by a negative length (kafkajs-record-decoder.ts). */
  readState: { movedBack: boolean };
}) {
  const { Decoder, KafkaJSPartialMessageError, lookupCodecByAttributes, TimestampTypes, RecordDecoder, readState } = deps;

  /** kafkajs' way: the record's bytes in a Decoder of their own. */
  const decodeRecordCopy = (decoder: BatchDecoder, context: Record<string, unknown>) => RecordDecoder(new Decoder(decoder.readVarIntBytes()), context);

  /**
   * The record read in place, when it decodes and every read stayed inside its bytes (reads only
   * move forward, unless the flag says otherwise, so ending at or before its end is enough); else
   * kafkajs' way.
   */
  const decodeRecord = (decoder: BatchDecoder, context: Record<string, unknown>) => {
    const at = decoder.offset;
    const length = decoder.readVarInt();
    const end = decoder.offset + length;
    if (length >= 0 && end <= decoder.buffer.length) {
      try {
        readState.movedBack = false;
        const record = RecordDecoder(decoder, context);
        if (decoder.offset <= end && !readState.movedBack) {
          decoder.offset = end;
          return record;
        }
      } catch {
        // decoded again below, where it fails (or not) as in kafkajs
      }
    }
    decoder.offset = at;
    return decodeRecordCopy(decoder, context);
  };

  const decodeRecords = async (codec: ReturnType<typeof lookupCodecByAttributes>, recordsDecoder: BatchDecoder, recordContext: Record<string, unknown>) => {
    if (!codec) return recordsDecoder.readArray((decoder) => decodeRecord(decoder, recordContext));
    const length = recordsDecoder.readInt32();
    if (length <= 0) return [];
    const compressedRecordsBuffer = recordsDecoder.readAll();
    const decompressedRecordBuffer = await codec.decompress(compressedRecordsBuffer);
    const decompressedRecordDecoder = new Decoder(decompressedRecordBuffer);
    const records = new Array<unknown>(length);
    for (let i = 0; i < length; i++) records[i] = decodeRecordCopy(decompressedRecordDecoder, recordContext);
    return records;
  };

  return async (fetchDecoder: BatchDecoder) => {
    const firstOffset = fetchDecoder.readInt64().toString();
    const length = fetchDecoder.readInt32();
    const decoder = fetchDecoder.slice(length);
    fetchDecoder.forward(length);
    const remainingBytes = Buffer.byteLength(decoder.buffer);
    if (remainingBytes < length) {
      throw new KafkaJSPartialMessageError(`Tried to decode a partial record batch: remainingBytes(${remainingBytes}) < recordBatchLength(${length})`);
    }
    const partitionLeaderEpoch = decoder.readInt32();
    const magicByte = decoder.readInt8();
    // the CRC, not checked (as in kafkajs)
    decoder.readInt32();
    const attributes = decoder.readInt16();
    const lastOffsetDelta = decoder.readInt32();
    const firstTimestamp = decoder.readInt64().toString();
    const maxTimestamp = decoder.readInt64().toString();
    const producerId = decoder.readInt64().toString();
    const producerEpoch = decoder.readInt16();
    const firstSequence = decoder.readInt32();
    const inTransaction = (attributes & TRANSACTIONAL_FLAG_MASK) > 0;
    const isControlBatch = (attributes & CONTROL_FLAG_MASK) > 0;
    const timestampType = (attributes & TIMESTAMP_TYPE_FLAG_MASK) > 0 ? TimestampTypes.LOG_APPEND_TIME : TimestampTypes.CREATE_TIME;
    const codec = lookupCodecByAttributes(attributes);
    const recordContext = { firstOffset, firstTimestamp, partitionLeaderEpoch, inTransaction, isControlBatch, lastOffsetDelta, producerId, producerEpoch, firstSequence, maxTimestamp, timestampType };
    const records = await decodeRecords(codec, decoder, { ...recordContext, magicByte });
    return { ...recordContext, records };
  };
}
