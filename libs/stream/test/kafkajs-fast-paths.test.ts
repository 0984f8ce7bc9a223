import { execFileSync } from 'node:child_process';
import { jest } from '@jest/globals';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { crc32c, createPartitioner, encodeRecordV0, groupMessagesPerPartition, murmur2, type PartitionerInput, type RecordInput } from '../src/kafka/kafkajs-fast-paths.ts';
import { decodeRecordV0, readState, type RecordBatchContext } from '../src/kafka/kafkajs-record-decoder.ts';
import { createRecordBatch, createRequestEncoder, type KafkajsEncoder, type RecordBatchInput, type RequestInput } from '../src/kafka/kafkajs-record-batch.ts';
import { createRecordBatchDecoder, type BatchDecoder } from '../src/kafka/kafkajs-record-batch-decoder.ts';
import { createBatch, shortDecimal, type KafkajsLong, type PartitionData } from '../src/kafka/kafkajs-batch.ts';
import { createProduceRequestV3, type ProduceRequest, type ProduceRequestInput } from '../src/kafka/kafkajs-produce-request.ts';

const require = createRequire(import.meta.url);

/** A kafkajs module as kafkajs ships it, compiled from its file (Node's cache may hold our replacement). */
function originalKafkajsModule<T>(path: string, stubs: Record<string, unknown> = {}): T {
  const file = require.resolve(path);
  const module = { exports: {} as unknown };
  const fileRequire = createRequire(file);
  const stubbed = (id: string) => (id in stubs ? stubs[id] : fileRequire(id));
  new Function('module', 'exports', 'require', readFileSync(file, 'utf8'))(module, module.exports, stubbed);
  return module.exports as T;
}

const kafkajsCrc = originalKafkajsModule<(b: Buffer) => number>('kafkajs/src/protocol/recordBatch/crc32C/crc32C.js');
const kafkajsGroup = originalKafkajsModule<typeof groupMessagesPerPartition>('kafkajs/src/producer/groupMessagesPerPartition.js');

const kafkajsRecord = originalKafkajsModule<(r: RecordInput) => { buffer: Buffer }>('kafkajs/src/protocol/recordBatch/record/v0/index.js');
const kafkajsMurmur2 = originalKafkajsModule<typeof murmur2>('kafkajs/src/producer/partitioners/default/murmur2.js');
/** A fixed "random" start of the round robin, so both partitioners start at the same partition. */
const fixedRandom = () => Buffer.from([0x7f, 0xff, 0xff, 0xfe, ...Array<number>(28).fill(0)]);
const kafkajsPartitioner = originalKafkajsModule<(hash: typeof murmur2) => () => (input: PartitionerInput) => number>('kafkajs/src/producer/partitioners/legacy/partitioner.js', { './randomBytes': fixedRandom });
const kafkajsBatch = originalKafkajsModule<{ RecordBatch: (input: RecordBatchInput) => Promise<KafkajsEncoder> }>('kafkajs/src/protocol/recordBatch/v0/index.js');
const Encoder = require('kafkajs/src/protocol/encoder.js') as new () => KafkajsEncoder;
const kafkajsRequest = originalKafkajsModule<(input: RequestInput) => Promise<KafkajsEncoder>>('kafkajs/src/protocol/request.js');
const Long = require('kafkajs/src/utils/long.js') as { fromValue(v: unknown): unknown };
/** kafkajs' produce request v3 on kafkajs' own record and batch encoders (none of ours). */
const kafkajsProduce = originalKafkajsModule<(input: ProduceRequestInput) => ProduceRequest>('kafkajs/src/protocol/requests/produce/v3/request.js', {
  '../../../recordBatch/record/v0': kafkajsRecord,
  '../../../recordBatch/v0': { ...kafkajsBatch, RecordBatch: originalKafkajsModule<{ RecordBatch: unknown }>('kafkajs/src/protocol/recordBatch/v0/index.js', { '../crc32C': kafkajsCrc }).RecordBatch },
});
const ourProduce = createProduceRequestV3({ Encoder, Long: Long as unknown as { fromInt(v: number): unknown }, crc32c, original: kafkajsProduce, apiKey: 0 });
const kafkajsRecordDecoder = originalKafkajsModule<typeof decodeRecordV0>('kafkajs/src/protocol/recordBatch/record/v0/decoder.js');
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (buffer: Buffer) => { buffer: Buffer; offset: number; readInt8(): number; readVarInt(): number };

/** A record's bytes as the batch decoder hands them to the record decoder: after its length varint. */
function recordBody(record: RecordInput): Buffer {
  const d = new Decoder(encodeRecordV0(record));
  const length = d.readVarInt();
  return d.buffer.subarray(d.offset, d.offset + length);
}

/** Both decoders on the same bytes: results (or errors' classes) and the bytes each read. */
function decodeBoth(body: Buffer, context: RecordBatchContext) {
  const run = (decode: typeof decodeRecordV0) => {
    const d = new Decoder(body);
    try {
      return { record: decode(d, context), read: d.offset };
    } catch (err) {
      return { error: (err as Error).name, read: d.offset };
    }
  };
  return { ours: run(decodeRecordV0), kafkajs: run(kafkajsRecordDecoder) };
}

const batch = (firstOffset: string, firstTimestamp: string, more: Partial<RecordBatchContext> = {}): RecordBatchContext => ({ firstOffset, firstTimestamp, magicByte: 2, isControlBatch: false, timestampType: 0, maxTimestamp: firstTimestamp, ...more });

describe('kafkajs fast paths', () => {
  test.each<[string, RecordInput]>([
    ['a parse output: Buffer key and value, two string headers', { offsetDelta: 4_321, timestampDelta: 0, key: Buffer.from('356307042440001'), value: Buffer.from('{"schemaVersion":1}'), headers: { 'fleetstream-schema-version': '1', receivedAt: '1700000000000' } }],
    ['string key and value with non-ASCII text, no headers', { offsetDelta: 0, timestampDelta: 12, key: 'clé', value: 'värde ✓', headers: {} }],
    ['null key and value, an array header', { offsetDelta: 1, timestampDelta: 3, key: null, value: null, headers: { a: ['x', Buffer.from([0, 255])], b: 'y' } }],
    ['no key, offset and timestamp deltas needing long varints', { offsetDelta: 2 ** 30, timestampDelta: 2 ** 40 + 7, value: Buffer.alloc(70_000, 1) }],
    ['a negative timestamp delta', { offsetDelta: 63, timestampDelta: -5_000, key: 'k', value: 'v' }],
  ])('encodeRecordV0 writes the bytes kafkajs own record encoder writes: %s', (_, record) => {
    expect(encodeRecordV0(record).equals(kafkajsRecord(record).buffer)).toBe(true);
  });

  test('encodeRecordV0 writes the bytes kafkajs own record encoder writes, for any record', () => {
    const bytes = fc.oneof(fc.constant(null), fc.string({ unit: 'grapheme', maxLength: 40 }), fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)));
    const record: fc.Arbitrary<RecordInput> = fc.record(
      {
        offsetDelta: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        timestampDelta: fc.integer({ min: -(2 ** 45), max: 2 ** 45 }),
        key: bytes,
        value: bytes,
        headers: fc.dictionary(fc.string({ maxLength: 12 }), fc.oneof(fc.string({ maxLength: 30 }), fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }))),
      },
      { requiredKeys: ['offsetDelta', 'timestampDelta'] },
    );
    fc.assert(fc.property(record, (r) => encodeRecordV0(r).equals(kafkajsRecord(r).buffer)), { numRuns: 500 });
  });

  test.each<[string, RecordInput, RecordBatchContext]>([
    ['a parse input: key, value, two headers', { offsetDelta: 17, timestampDelta: 3, key: Buffer.from('356307042440001'), value: Buffer.from([0, 0, 0, 0, 8, 1]), headers: { protocol: 'teltonika-tcp', receivedAt: '1700000000000' } }, batch('123456', '1700000000000')],
    ['null key and value, a repeated header key (an array of its values), an empty header key', { offsetDelta: 0, timestampDelta: 0, key: null, value: null, headers: { a: ['x', 'y', 'z'], '': 'e' } }, batch('0', '-1')],
    ['offsets and timestamps beyond 2^53 (and beyond 64 bits, as kafkajs adds them)', { offsetDelta: 2 ** 31 - 1, timestampDelta: -(2 ** 45), key: 'k', value: 'v' }, batch('9223372036854775000', '-9223372036854775800')],
    ['a first offset just past 2^53', { offsetDelta: 5, timestampDelta: 1, key: 'k', value: 'v' }, batch('9007199254740993', '1700000000000')],
    ['log append time: the batch maximum timestamp', { offsetDelta: 2, timestampDelta: 99, key: 'k', value: 'v' }, batch('10', '1700000000000', { timestampType: 1, maxTimestamp: '1700000000500' })],
    ['a control batch', { offsetDelta: 0, timestampDelta: 0, key: Buffer.from([0, 0, 0, 1]), value: Buffer.from([0, 0, 0, 0, 0, 0]) }, batch('42', '1700000000000', { isControlBatch: true })],
    ['header names that are Object properties ("toString", "__proto__")', { offsetDelta: 1, timestampDelta: 1, key: 'k', value: 'v', headers: { toString: 'a', ['__proto__']: 'b' } as RecordInput['headers'] }, batch('1', '1')],
  ])('decodeRecordV0 gives what kafkajs own record decoder gives: %s', (_, record, context) => {
    const { ours, kafkajs } = decodeBoth(recordBody(record), context);
    expect(ours).toEqual(kafkajs);
    expect(ours.record?.offset).toBe(kafkajs.record?.offset);
    expect(ours.record?.timestamp).toBe(kafkajs.record?.timestamp);
  });

  test('decodeRecordV0 gives what kafkajs own record decoder gives, for any record and batch', () => {
    const bytes = fc.oneof(fc.constant(null), fc.string({ unit: 'grapheme', maxLength: 20 }), fc.uint8Array({ maxLength: 100 }).map((a) => Buffer.from(a)));
    const record: fc.Arbitrary<RecordInput> = fc.record(
      {
        offsetDelta: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        timestampDelta: fc.oneof(fc.integer({ min: -(2 ** 20), max: 2 ** 20 }), fc.integer({ min: -(2 ** 52), max: 2 ** 52 })),
        key: bytes,
        value: bytes,
        headers: fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string({ maxLength: 20 }), fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }))),
      },
      { requiredKeys: ['offsetDelta', 'timestampDelta'] },
    );
    const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String);
    const context = fc.record({ firstOffset: fc.oneof(fc.nat().map(String), int64), firstTimestamp: fc.oneof(fc.constant('-1'), fc.integer({ min: 0, max: 2 ** 42 }).map(String), int64), timestampType: fc.constantFrom(0, 1), maxTimestamp: int64, isControlBatch: fc.boolean(), magicByte: fc.constant(2) });
    fc.assert(
      fc.property(record, context, (r, c) => {
        const { ours, kafkajs } = decodeBoth(recordBody(r), c);
        expect(ours).toEqual(kafkajs);
      }),
      { numRuns: 500 },
    );
  });

  test('decodeRecordV0 reads long varlong timestamp deltas as kafkajs does: 10 bytes, an 11th fails', () => {
    // attributes, a timestamp delta of 10 then 11 varint bytes, offset delta 0, null key and value, no headers
    const tail = [0, 1, 1, 0];
    for (const delta of [[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f], [0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x03], [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]]) {
      const { ours, kafkajs } = decodeBoth(Buffer.from([0, ...delta, ...tail]), batch('5', '1700000000000'));
      expect(ours).toEqual(kafkajs);
    }
  });

  test('murmur2 gives what kafkajs own murmur2 gives (Kafka\'s partition hash), for any key', () => {
    const key = fc.oneof(fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)), fc.string({ unit: 'grapheme', maxLength: 30 }));
    fc.assert(fc.property(key, (k) => murmur2(k) === kafkajsMurmur2(k)), { numRuns: 2_000 });
    // the Java client's values (DefaultPartitionerTest / Utils.murmur2 vectors)
    expect(murmur2(Buffer.from('21'))).toBe(-973932308);
    expect(murmur2(Buffer.from('abc'))).toBe(479470107);
  });

  test('the partitioner picks what kafkajs own default partitioner picks: own partition, key hash, round robin over partitions with a leader', () => {
    const metadata = (leaders: number[]) => leaders.map((leader, partitionId) => ({ partitionId, leader }));
    const ours = createPartitioner(murmur2, fixedRandom)();
    const theirs = kafkajsPartitioner(kafkajsMurmur2)();
    const inputs: PartitionerInput[] = [];
    for (let i = 0; i < 300; i++) {
      const partitionMetadata = metadata(i % 5 === 0 ? [0, -1, 0, -1, 0, 0] : i % 7 === 0 ? [-1, -1, -1] : [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
      const message = i % 3 === 0 ? { key: `356307042440${i}` } : i % 3 === 1 ? { key: null, partition: i % 4 } : { value: 'x' };
      inputs.push({ topic: i % 2 ? 'a' : 'b', partitionMetadata, message });
    }
    expect(inputs.map(ours)).toEqual(inputs.map(theirs));
  });

  test.each<[string, Omit<RecordBatchInput, 'records'>, number]>([
    ['an idempotent batch of parse outputs', { firstTimestamp: 1_700_000_000_000, maxTimestamp: 1_700_000_000_123, lastOffsetDelta: 199, producerId: Long.fromValue(4_242), producerEpoch: 3, firstSequence: 1_234_567 }, 200],
    ['a transactional batch with a producer id as a number', { transactional: true, firstTimestamp: 5, maxTimestamp: 5, producerId: 17, producerEpoch: 0, firstSequence: 0, partitionLeaderEpoch: 9 }, 3],
    ['an empty batch with the defaults but the timestamps', { firstTimestamp: 1, maxTimestamp: 2 }, 0],
    ['a gzip batch (kafkajs own encoder)', { compression: 1, firstTimestamp: 1, maxTimestamp: 2, producerId: 1 }, 20],
  ])('RecordBatch writes the bytes kafkajs own RecordBatch writes: %s', async (_, input, count) => {
    const records = Array.from({ length: count }, (_, i) => kafkajsRecord({ offsetDelta: i, timestampDelta: i, key: `k${i}`, value: Buffer.alloc(i * 7, i), headers: { h: String(i) } }) as unknown as KafkajsEncoder);
    const ours = createRecordBatch(Encoder, kafkajsCrc, kafkajsBatch.RecordBatch, 0x7);
    const [a, b] = [await ours({ ...input, records }), await kafkajsBatch.RecordBatch({ ...input, records })];
    expect(a.buffer.equals(b.buffer)).toBe(true);
    expect(a).toBeInstanceOf(Encoder);
  });

  test.each<[string, string | null, number]>([
    ['a produce-sized request', 'parse', 30_000],
    ['no client id, an empty payload', null, 0],
  ])('the request frame is the bytes kafkajs own request.js writes: %s', async (_, clientId, payloadBytes) => {
    const input: RequestInput = { correlationId: 123_456, clientId, request: { apiKey: 0, apiVersion: 3, encode: async () => new Encoder().writeInt32(7).writeString('x'.repeat(payloadBytes)).writeString('y'.repeat(payloadBytes)) } };
    const [a, b] = [await createRequestEncoder(Encoder)(input), await kafkajsRequest(input)];
    expect(a.buffer.equals(b.buffer)).toBe(true);
    expect(a).toBeInstanceOf(Encoder);
  });

  describe('the produce request', () => {
    afterEach(() => jest.restoreAllMocks());

    /** Both requests' fields and encoded bytes, each from the same starting clock. */
    const both = async (input: ProduceRequestInput) => {
      const run = async (create: (i: ProduceRequestInput) => ProduceRequest) => {
        // kafkajs reads the clock once per partition: both requests see the same clock
        jest.restoreAllMocks();
        let now = 1_765_000_000_000;
        jest.spyOn(Date, 'now').mockImplementation(() => (now += 7));
        const request = create(input);
        const { encode, expectResponse, ...fields } = request;
        return { fields, expectResponse: expectResponse(), bytes: (await encode()).buffer };
      };
      return { ours: await run(ourProduce), kafkajs: await run(kafkajsProduce) };
    };

    const messages = (n: number, key: (i: number) => Buffer | string | null = (i) => Buffer.from(`35630704244${i % 10}`)) =>
      Array.from({ length: n }, (_, i) => ({ key: key(i), value: `{"schemaVersion":1,"n":${i}}`, headers: { 'schema-version': '1', receivedAt: '1700000000000' } }));

    test.each<[string, ProduceRequestInput]>([
      ['parse output: one topic, three partitions, an idempotent producer', { acks: -1, timeout: 30_000, producerId: Long.fromValue(4_242), producerEpoch: 3, topicData: [{ topic: 'telemetry.parsed', partitions: [0, 5, 11].map((partition, p) => ({ partition, firstSequence: 1_000 * p, messages: messages(50 + p) })) }] }],
      ['outputs and dead letters: two topics, string and null keys, non-ASCII text, array headers', { acks: -1, timeout: 5_000, producerId: 17, producerEpoch: 0, topicData: [{ topic: 'a', partitions: [{ partition: 1, firstSequence: 3, messages: [{ key: null, value: 'värde ✓', headers: { h: ['x', 'y'] } }, { key: 'clé', value: null }] }] }, { topic: 'tëlemetry.dlq', partitions: [{ partition: 0, messages: [{ key: Buffer.from([0, 255]), value: Buffer.alloc(70_000, 3), headers: {} }] }] }] }],
      ['a transactional producer, defaults for the producer id and epoch', { acks: -1, timeout: 1_000, transactionalId: 'fleetstream-parse-h1', topicData: [{ topic: 't', partitions: [{ partition: 2, messages: messages(3) }] }] }],
      ['acks 0 (no response expected)', { acks: 0, timeout: 1_000, topicData: [{ topic: 't', partitions: [{ partition: 0, messages: messages(1) }] }] }],
      ['messages with their own timestamps (kafkajs own request)', { acks: -1, timeout: 1_000, topicData: [{ topic: 't', partitions: [{ partition: 0, messages: messages(3).map((m, i) => ({ ...m, timestamp: 1_700_000_000_000 + 1_000 * (3 - i) })) }] }] }],
      ['gzip (kafkajs own request)', { acks: -1, timeout: 1_000, compression: 1, topicData: [{ topic: 't', partitions: [{ partition: 0, messages: messages(3) }] }] }],
    ])('writes the bytes kafkajs own produce request writes: %s', async (_, input) => {
      const { ours, kafkajs } = await both(input);
      expect(ours.fields).toEqual(kafkajs.fields);
      expect(ours.expectResponse).toBe(kafkajs.expectResponse);
      expect(ours.bytes.equals(kafkajs.bytes)).toBe(true);
    });

    test('writes the bytes kafkajs own produce request writes, for any topics, partitions and messages', async () => {
      const bytes = fc.oneof(fc.constant(null), fc.string({ unit: 'grapheme', maxLength: 40 }), fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)));
      const message = fc.record({ key: bytes, value: bytes, headers: fc.dictionary(fc.string({ maxLength: 10 }), fc.oneof(fc.string({ maxLength: 20 }), fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }))) }, { requiredKeys: ['key', 'value'] });
      const partition = fc.record({ partition: fc.nat({ max: 50 }), firstSequence: fc.nat(), messages: fc.array(message, { minLength: 1, maxLength: 12 }) });
      const input: fc.Arbitrary<ProduceRequestInput> = fc.record(
        {
          acks: fc.constantFrom(-1, 0, 1),
          timeout: fc.nat(),
          transactionalId: fc.oneof(fc.constant(null), fc.string({ maxLength: 20 })),
          producerId: fc.oneof(fc.nat(), fc.bigInt({ min: 0n, max: 2n ** 62n }).map((b) => Long.fromValue(b.toString()))),
          producerEpoch: fc.nat({ max: 32_767 }),
          topicData: fc.array(fc.record({ topic: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }), partitions: fc.array(partition, { minLength: 1, maxLength: 4 }) }), { minLength: 1, maxLength: 3 }),
        },
        { requiredKeys: ['acks', 'timeout', 'topicData'] },
      );
      await fc.assert(
        fc.asyncProperty(input, async (i) => {
          const { ours, kafkajs } = await both(i);
          expect(ours.bytes.equals(kafkajs.bytes)).toBe(true);
        }),
        { numRuns: 300 },
      );
    });
  });

  describe('the record batch decoder', () => {
    const deps = {
      Decoder: Decoder as unknown as new (b: Buffer | null) => BatchDecoder,
      KafkaJSPartialMessageError: (require('kafkajs/src/errors.js') as { KafkaJSPartialMessageError: new (m: string) => Error }).KafkaJSPartialMessageError,
      lookupCodecByAttributes: (require('kafkajs/src/protocol/message/compression/index.js') as { lookupCodecByAttributes: (a: number) => { decompress(b: Buffer): Promise<Buffer> } | undefined }).lookupCodecByAttributes,
      TimestampTypes: require('kafkajs/src/protocol/timestampTypes.js') as { LOG_APPEND_TIME: number; CREATE_TIME: number },
    };
    /** kafkajs' own batch decoder on kafkajs' own record decoder. */
    const kafkajsBatchDecoder = originalKafkajsModule<(d: BatchDecoder) => Promise<unknown>>('kafkajs/src/protocol/recordBatch/v0/decoder.js', { '../record/v0/decoder': kafkajsRecordDecoder });
    /** kafkajs' own batch decoder on our record decoder: what in-place decoding must equal even for corrupt bytes (our record decoder equals kafkajs' on records that are whole). */
    const kafkajsBatchOnOurRecords = originalKafkajsModule<(d: BatchDecoder) => Promise<unknown>>('kafkajs/src/protocol/recordBatch/v0/decoder.js', { '../record/v0/decoder': decodeRecordV0 });
    const ours = createRecordBatchDecoder({ ...deps, RecordDecoder: decodeRecordV0 as never, readState });
    /** Both decoders on the same bytes: results (or errors' classes) and the bytes each read. */
    const decodeBoth = async (bytes: Buffer, reference = kafkajsBatchDecoder) => {
      const run = async (decode: (d: BatchDecoder) => Promise<unknown>) => {
        const d = new Decoder(bytes) as unknown as BatchDecoder;
        try {
          return { batch: await decode(d), read: d.offset };
        } catch (err) {
          return { error: (err as Error).name, read: d.offset };
        }
      };
      return { ours: await run(ours), kafkajs: await run(reference) };
    };
    const encodeBatch = async (records: RecordInput[], more: Partial<RecordBatchInput> = {}) =>
      (await kafkajsBatch.RecordBatch({ firstOffset: '1000', firstTimestamp: 1_700_000_000_000, maxTimestamp: 1_700_000_000_500, producerId: 7, lastOffsetDelta: records.length - 1, ...more, records: records.map((r) => kafkajsRecord(r) as unknown as KafkajsEncoder) })).buffer;
    const parseInput = (i: number): RecordInput => ({ offsetDelta: i, timestampDelta: i, key: Buffer.from(`35630704244000${i % 10}`), value: Buffer.alloc(40, i), headers: { protocol: 'teltonika-tcp', receivedAt: '1700000000000' } });

    test.each<[string, () => Promise<Buffer>]>([
      ['a batch of parse inputs', () => encodeBatch(Array.from({ length: 50 }, (_, i) => parseInput(i)))],
      ['a transactional control batch', () => encodeBatch([{ offsetDelta: 0, timestampDelta: 0, key: Buffer.from([0, 0, 0, 1]), value: Buffer.from([0, 0, 0, 0, 0, 0]) }], { transactional: true })],
      ['a gzip batch (records decoded kafkajs\' way)', () => encodeBatch(Array.from({ length: 5 }, (_, i) => parseInput(i)), { compression: 1 })],
      ['a record whose length is two bytes short of its content (decoded again kafkajs\' way)', async () => {
        const bytes = await encodeBatch([{ offsetDelta: 0, timestampDelta: 0, key: 'k', value: 'v', headers: { h: 'x' } }]);
        // the record's length varint is the byte after the batch header (61 bytes)
        bytes[61] = bytes[61]! - 2;
        return bytes;
      }],
      ['a record whose length says more than the batch holds', async () => {
        const bytes = await encodeBatch([{ offsetDelta: 0, timestampDelta: 0, key: 'k', value: 'v' }]);
        bytes[61] = 0x7e;
        return bytes;
      }],
      ['a batch cut short (a partial message)', async () => (await encodeBatch([parseInput(1), parseInput(2)])).subarray(0, 90)],
    ])('gives what kafkajs own record batch decoder gives: %s', async (_, bytes) => {
      const { ours, kafkajs } = await decodeBoth(await bytes());
      expect(ours).toEqual(kafkajs);
    });

    test('gives what kafkajs own record batch decoder gives, for any records', async () => {
      const bytes = fc.oneof(fc.constant(null), fc.string({ unit: 'grapheme', maxLength: 20 }), fc.uint8Array({ maxLength: 100 }).map((a) => Buffer.from(a)));
      const record = fc.record({ key: bytes, value: bytes, headers: fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string({ maxLength: 20 }), fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }))) }, { requiredKeys: ['key', 'value'] });
      await fc.assert(
        fc.asyncProperty(fc.array(record, { minLength: 1, maxLength: 10 }), async (records) => {
          const { ours, kafkajs } = await decodeBoth(await encodeBatch(records.map((r, i) => ({ ...r, offsetDelta: i, timestampDelta: i }))));
          expect(ours).toEqual(kafkajs);
        }),
        { numRuns: 500 },
      );
    });

    test('decodes a record with corrupt lengths as kafkajs own batch decoder does on the same record decoder', async () => {
      // Every byte below 0x80 (short records, ASCII, small deltas), the corrupt one too: wherever a
      // misread lands, a varint is one byte, so counts and lengths stay between -64 and 63 (a count
      // read from arbitrary bytes could be billions, and kafkajs' decoder spreads its headers per header).
      const bytes = fc.oneof(fc.constant(null), fc.string({ maxLength: 12 }), fc.uint8Array({ max: 127, maxLength: 12 }).map((a) => Buffer.from(a)));
      const record = fc.record({ key: bytes, value: bytes, headers: fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 6 }), { maxKeys: 2 }) }, { requiredKeys: ['key', 'value'] });
      await fc.assert(
        fc.asyncProperty(fc.array(record, { minLength: 1, maxLength: 6 }), fc.nat(), fc.nat({ max: 127 }), async (records, where, value) => {
          const batch = await encodeBatch(records.map((r, i) => ({ ...r, offsetDelta: i, timestampDelta: i })));
          // one byte changed among the records' bytes (after the 61-byte batch header)
          batch[61 + (where % (batch.length - 61))] = value;
          const { ours, kafkajs } = await decodeBoth(batch, kafkajsBatchOnOurRecords);
          expect(ours).toEqual(kafkajs);
        }),
        { numRuns: 2_000 },
      );
    });
  });

  describe('the consumer Batch', () => {
    type Batch = Record<string, unknown> & { isEmpty(): boolean; firstOffset(): string | null; lastOffset(): string };
    const filterAborted = originalKafkajsModule<Parameters<typeof createBatch>[2]>('kafkajs/src/consumer/filterAbortedMessages.js');
    const KafkajsBatch = originalKafkajsModule<new (topic: string, fetchedOffset: unknown, data: PartitionData) => Batch>('kafkajs/src/consumer/batch.js', { './filterAbortedMessages': filterAborted });
    const OurBatch = createBatch(KafkajsBatch, Long as unknown as KafkajsLong, filterAborted) as unknown as new (topic: string, fetchedOffset: unknown, data: PartitionData) => Batch;
    /** Both Batches of the same input: their fields and what their methods answer (or the error's class). */
    const both = (fetchedOffset: unknown, data: PartitionData) => {
      const run = (B: typeof OurBatch) => {
        try {
          const b = new B('t', fetchedOffset, data);
          return { fields: { ...b }, isEmpty: b.isEmpty(), first: b.firstOffset(), last: b.lastOffset(), isBatch: b instanceof KafkajsBatch };
        } catch (err) {
          return { error: (err as Error).name };
        }
      };
      return { ours: run(OurBatch), kafkajs: run(KafkajsBatch) };
    };
    const data = (offsets: unknown[], control: number[] = []): PartitionData => ({ partition: 3, highWatermark: '999', abortedTransactions: [], messages: offsets.map((offset, i) => ({ offset, isControlRecord: control.includes(i), key: null, value: null })) });

    test.each<[string, unknown, PartitionData]>([
      ['a fetch that starts where asked', '100', data(['100', '101', '102'])],
      ['a compressed batch starting before the fetched offset, a control record', '5', data(['3', '4', '5', '6', '7'], [3])],
      ['offsets beyond 15 digits (kafkajs Long)', '9007199254740993', data(['9007199254740992', '9007199254740993', '9223372036854775807'])],
      ['a short fetched offset, long message offsets', '10', data(['10', '1000000000000000000'])],
      ['offsets that are not plain decimals (hex, spaces, "NaN")', '0x10', data(['15', ' 16', 'NaN', '-1'])],
      ['an empty fetched offset (kafkajs throws)', '', data(['1'])],
      ['number offsets', 4, data([3, 4, 5])],
    ])('gives what kafkajs own Batch gives: %s', (_, fetchedOffset, d) => {
      const { ours, kafkajs } = both(fetchedOffset, d);
      expect(ours).toEqual(kafkajs);
    });

    test('gives what kafkajs own Batch gives, for any offsets', () => {
      // mostly offsets close to each other (a fetch's), some far apart or not decimals
      const offset = fc.oneof({ arbitrary: fc.nat({ max: 20 }).map(String), weight: 4 }, fc.bigInt({ min: -1n, max: 2n ** 63n - 1n }).map(String), fc.nat({ max: 2_000 }).map(String), fc.string({ maxLength: 4 }));
      fc.assert(
        fc.property(offset, fc.array(offset, { maxLength: 30 }), fc.array(fc.nat({ max: 29 })), (fetched, offsets, control) => {
          const { ours, kafkajs } = both(fetched, data(offsets, control));
          expect(ours).toEqual(kafkajs);
        }),
        { numRuns: 1_000 },
      );
    });

    test('shortDecimal reads up to 15 digits, with a minus sign, and nothing else', () => {
      expect(['0', '-1', '123456789012345', '-123456789012345'].map(shortDecimal)).toEqual([0, -1, 123456789012345, -123456789012345]);
      expect(['', '-', '1234567890123456', '1e3', '1.0', ' 1', '0x10', 'NaN', 7].map(shortDecimal)).toEqual(Array(9).fill(undefined));
    });
  });

  test('crc32c is CRC-32C: the check value of "123456789" is 0xE3069283', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
  });

  test('crc32c equals kafkajs own crc32C on 500 random buffers of 0 to 4,100 bytes', () => {
    for (let i = 0; i < 500; i++) {
      const buf = randomBytes(i < 100 ? i : Math.floor(Math.random() * 4_100));
      expect(crc32c(buf)).toBe(kafkajsCrc(buf));
    }
  });

  test('groupMessagesPerPartition gives what kafkajs own gives: each partition its messages in send order', () => {
    const messages = Array.from({ length: 1_000 }, (_, i) => ({ key: `k${i % 37}`, value: `v${i}` }));
    const partitionMetadata = Array.from({ length: 12 }, (_, p) => ({ partitionId: p }));
    const partitioner = ({ message }: { message: { key: string } }) => Number(message.key.slice(1)) % 12;
    const options = { topic: 't', partitionMetadata, messages, partitioner };
    expect(groupMessagesPerPartition(options)).toEqual(kafkajsGroup(options));
    expect(groupMessagesPerPartition({ ...options, partitionMetadata: [] })).toEqual({});
  });

  test('a process that loads kafkajs through kafkajs-client runs on the replacements', () => {
    const client = fileURLToPath(new URL('../src/kafka/kafkajs-client.ts', import.meta.url));
    const script = `
      await import(${JSON.stringify(client)});
      const { createRequire } = await import('node:module');
      const require = createRequire(${JSON.stringify(client)});
      const fast = await import(${JSON.stringify(fileURLToPath(new URL('../src/kafka/kafkajs-fast-paths.ts', import.meta.url)))});
      const crc = require('kafkajs/src/protocol/recordBatch/crc32C/index.js');
      const group = require('kafkajs/src/producer/groupMessagesPerPartition.js');
      const record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js')({ key: 'k', value: 'v', headers: { h: '1' } });
      const Encoder = require('kafkajs/src/protocol/encoder.js');
      const decoder = require('kafkajs/src/protocol/recordBatch/record/v0/decoder.js');
      const murmur = require('kafkajs/src/producer/partitioners/default/murmur2.js');
      const batch = require('kafkajs/src/protocol/recordBatch/v0/index.js').RecordBatch;
      const empty = await batch({ records: [], firstTimestamp: 1, maxTimestamp: 1 });
      const produce = require('kafkajs/src/protocol/requests/produce/v7/request.js')({ acks: -1, timeout: 1, topicData: [{ topic: 't', partitions: [{ partition: 0, messages: [{ key: 'k', value: 'v' }] }] }] });
      const produced = (await produce.encode()).buffer;
      const { decodeRecordV0 } = await import(${JSON.stringify(fileURLToPath(new URL('../src/kafka/kafkajs-record-decoder.ts', import.meta.url)))});
      const ours = record instanceof Encoder && record.buffer.equals(fast.encodeRecordV0({ key: 'k', value: 'v', headers: { h: '1' } }));
      const batchDecoder = require('kafkajs/src/protocol/recordBatch/v0/decoder.js');
      const Batch = require('kafkajs/src/consumer/batch.js');
      const b = new Batch('t', '1', { partition: 0, highWatermark: '3', messages: [{ offset: '0' }, { offset: '1' }, { offset: '2' }] });
      console.log(JSON.stringify({ batchDecoder: batchDecoder.toString().includes('decodeRecords'), consumerBatch: Batch.toString().includes('shortDecimal') && b.messages.length === 2 && b.lastOffset() === '2', crc: crc === fast.crc32c, group: group === fast.groupMessagesPerPartition, record: ours && record.size() === record.buffer.length, decoder: decoder === decodeRecordV0, murmur2: murmur === fast.murmur2, batch: batch.toString().includes('asEncoder') && empty.buffer.length === 61, produce: produce.apiVersion === 7 && produce.encode.toString().includes('encodeProduce') && produced.length === 97 }));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { PATH: process.env.PATH } });
    expect(JSON.parse(out.trim().split('\n').pop()!)).toEqual({ batchDecoder: true, consumerBatch: true, crc: true, group: true, record: true, decoder: true, murmur2: true, batch: true, produce: true });
  });
});
