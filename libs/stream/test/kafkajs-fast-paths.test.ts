import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { crc32c, encodeRecordV0, groupMessagesPerPartition, type RecordInput } from '../src/kafka/kafkajs-fast-paths.ts';

const require = createRequire(import.meta.url);

/** A kafkajs module as kafkajs ships it, compiled from its file (Node's cache may hold our replacement). */
function originalKafkajsModule<T>(path: string): T {
  const file = require.resolve(path);
  const module = { exports: {} as unknown };
  new Function('module', 'exports', 'require', readFileSync(file, 'utf8'))(module, module.exports, createRequire(file));
  return module.exports as T;
}

const kafkajsCrc = originalKafkajsModule<(b: Buffer) => number>('kafkajs/src/protocol/recordBatch/crc32C/crc32C.js');
const kafkajsGroup = originalKafkajsModule<typeof groupMessagesPerPartition>('kafkajs/src/producer/groupMessagesPerPartition.js');

const kafkajsRecord = originalKafkajsModule<(r: RecordInput) => { buffer: Buffer }>('kafkajs/src/protocol/recordBatch/record/v0/index.js');

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
      const ours = record instanceof Encoder && record.buffer.equals(fast.encodeRecordV0({ key: 'k', value: 'v', headers: { h: '1' } }));
      console.log(JSON.stringify({ crc: crc === fast.crc32c, group: group === fast.groupMessagesPerPartition, record: ours && record.size() === record.buffer.length }));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { PATH: process.env.PATH } });
    expect(JSON.parse(out.trim().split('\n').pop()!)).toEqual({ crc: true, group: true, record: true });
  });
});
