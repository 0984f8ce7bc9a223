import { randomUUID } from 'node:crypto';
import kafkajs from 'kafkajs';
import { encodeTcpPacket, CODEC_8, CODEC_8_EXTENDED, CODEC_16, type AvlRecord, type AvlCodecId } from '@fleetstream/telemetry';
import { startService, DlqHeaders } from '@fleetstream/stream';
import { parseConfigSchema, createParseService } from '../src/index.ts';

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
const kafka = new kafkajs.Kafka({ clientId: 'parse-test', brokers, logLevel: kafkajs.logLevel.NOTHING });
const id = () => randomUUID().slice(0, 8);
const PACKETS = Number(process.env.PARSE_TEST_PACKETS ?? 50_000);

/** A deterministic pseudo-random generator, so a failure can be replayed. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

function record(rand: () => number, codec: AvlCodecId, t: number): AvlRecord {
  const ids = codec === CODEC_8 ? [239, 240, 66, 16] : [239, 240, 66, 16, 449];
  return {
    timestamp: t,
    priority: Math.floor(rand() * 2),
    longitude: Math.round((rand() * 360 - 180) * 1e7) / 1e7,
    latitude: Math.round((rand() * 180 - 90) * 1e7) / 1e7,
    altitude: Math.floor(rand() * 500),
    angle: Math.floor(rand() * 360),
    satellites: Math.floor(rand() * 20),
    speed: Math.floor(rand() * 120),
    eventIoId: 0,
    ...(codec === CODEC_16 ? { generationType: 7 } : {}),
    io: [
      { id: ids[0]!, width: 1, value: Math.floor(rand() * 2) },
      { id: ids[1]!, width: 1, value: Math.floor(rand() * 2) },
      { id: ids[2]!, width: 2, value: 12000 + Math.floor(rand() * 2000) },
      { id: ids[3]!, width: 4, value: Math.floor(rand() * 1e6) },
    ],
  };
}

interface Sent {
  imei: string;
  value: Buffer;
  corrupt: boolean;
  records: number;
}

function packets(n: number): Sent[] {
  const rand = rng(42);
  const codecs: AvlCodecId[] = [CODEC_8, CODEC_8_EXTENDED, CODEC_16];
  const out: Sent[] = [];
  for (let i = 0; i < n; i += 1) {
    const codec = codecs[i % 3]!;
    const imei = String(356307042440000 + (i % 500));
    const count = 1 + (i % 3);
    const base = 1_700_000_000_000 + i * 10_000;
    const value = encodeTcpPacket({ codecId: codec, records: Array.from({ length: count }, (_, k) => record(rand, codec, base + k * 1000)) });
    const corrupt = i % 20 === 7; // 5 %
    if (corrupt) value[value.length - 1] = value[value.length - 1]! ^ 0xff; // CRC no longer matches
    out.push({ imei, value, corrupt, records: count });
  }
  return out;
}

async function createTopics(...topics: string[]) {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: topics.map((topic) => ({ topic, numPartitions: topic === 'telemetry.dlq' ? 4 : 6 })), waitForLeaders: true });
  await admin.disconnect();
}

async function read(topic: string, until: (n: number) => boolean, timeoutMs: number) {
  const consumer = kafka.consumer({ groupId: `reader-${id()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const out: { key: string; value: Buffer; headers: Record<string, string> }[] = [];
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    void consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(m.headers ?? {})) headers[k] = String(v);
          out.push({ key: m.key?.toString() ?? '', value: m.value!, headers });
        }
        if (until(out.length)) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return out;
}

describe('parse against the real Kafka', () => {
  test(`${PACKETS} raw packets of mixed codecs, 5 % corrupt: every valid record parsed (same eventIds on replay), every corrupt packet in the DLQ with its reason, nothing else`, async () => {
    // Prepare
    const input = `raw-${id()}`;
    const output = `parsed-${id()}`;
    await createTopics(input, output, 'telemetry.dlq');
    const sent = packets(PACKETS);
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    for (let i = 0; i < sent.length; i += 5000) {
      await producer.send({
        topic: input,
        acks: -1,
        messages: sent.slice(i, i + 5000).map((p) => ({ key: p.imei, value: p.value, headers: { protocol: 'teltonika-tcp', receivedAt: '1700000000000' } })),
      });
    }
    // a second copy of the first 1000 packets: a device resending after a lost ack
    await producer.send({ topic: input, acks: -1, messages: sent.slice(0, 1000).map((p) => ({ key: p.imei, value: p.value, headers: { protocol: 'teltonika-tcp', receivedAt: '1700000000001' } })) });
    await producer.disconnect();
    const expectedRecords = sent.filter((p) => !p.corrupt).reduce((a, p) => a + p.records, 0);
    const repeatedRecords = sent.slice(0, 1000).filter((p) => !p.corrupt).reduce((a, p) => a + p.records, 0);
    const corrupt = sent.filter((p) => p.corrupt).length;
    const corruptRepeated = sent.slice(0, 1000).filter((p) => p.corrupt).length;

    // Act
    const env = { KAFKA_BROKERS: brokers.join(','), HEALTH_PORT: '0', LOG_LEVEL: 'warn', INPUT_TOPIC: input, OUTPUT_TOPIC: output, CONSUMER_GROUP: `parse-${id()}` };
    const running = await startService({ name: 'parse', version: 'test', schema: parseConfigSchema, create: createParseService }, { env, handleSignals: false });
    const parsed = await read(output, (n) => n >= expectedRecords + repeatedRecords, 240_000);
    const dlq = await read('telemetry.dlq', () => false, 5_000);
    await running.shutdown();

    // Assess: outputs
    expect(parsed).toHaveLength(expectedRecords + repeatedRecords);
    const ids = new Set(parsed.map((p) => (JSON.parse(p.value.toString()) as { eventId: string }).eventId));
    expect(ids.size).toBe(expectedRecords); // the resent packets produced the same eventIds
    for (const p of parsed.slice(0, 100)) {
      const event = JSON.parse(p.value.toString()) as { deviceId: string; schemaVersion: number };
      expect(p.key).toBe(event.deviceId);
      expect(p.headers['schema-version']).toBe('1');
      expect(event.schemaVersion).toBe(1);
    }
    // Assess: dead letters from this input only, each with its reason and the original bytes
    const mine = dlq.filter((d) => d.headers[DlqHeaders.sourceTopic] === input);
    expect(mine).toHaveLength(corrupt + corruptRepeated);
    expect(new Set(mine.map((d) => d.headers[DlqHeaders.errorClass]))).toEqual(new Set(['CRC_MISMATCH']));
    const corruptBytes = new Set(sent.filter((p) => p.corrupt).map((p) => p.value.toString('hex')));
    for (const d of mine) expect(corruptBytes.has(d.value.toString('hex'))).toBe(true);
    expect(mine.every((d) => d.headers[DlqHeaders.service] === 'parse' && d.headers.protocol === 'teltonika-tcp')).toBe(true);
  }, 300_000);
});
