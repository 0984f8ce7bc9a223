// @servers kafka
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { ConsumerRunner, createStreamMetrics, DlqWriter, kafkaStageHandler } from '../src/index.ts';
import type { KafkaClient } from '../src/index.ts';
import { createPlatformaticClient } from '../src/kafka/platformatic-client.ts';
import { createConfluentClient, loadConfluentModule } from '../bench/confluent-client.ts';
import { confluentDir } from '../bench/confluent-install.ts';
import { brokers, committedOffsets, produceRange, rawKafka, suffix } from './helpers/kafka.ts';

// The other Kafka clients behind our interface, run through the same pass-through stage as the
// kafkajs default so an adapter cannot rot silently. @confluentinc/kafka-javascript is not a
// dependency (its native binding is built on demand by bench/confluent-install.ts, five minutes
// of compiling that CI does not spend): its case is added where that build exists (a bench
// machine), and the bench's own count of every record covers it there too.
const confluent = loadConfluentModule(confluentDir());
const clients: [string, (clientId: string) => KafkaClient][] = [['@platformatic/kafka', (clientId) => createPlatformaticClient({ brokers: brokers(), clientId })]];
if (confluent) clients.push(['@confluentinc/kafka-javascript', (clientId) => createConfluentClient({ brokers: brokers(), clientId }, confluent)]);

/** Reads a topic from the beginning with kafkajs until `count` records came, with their partitions. */
async function readOutput(topic: string, count: number, timeoutMs = 60_000): Promise<{ key: string; value: number; partition: number }[]> {
  const consumer = rawKafka().consumer({ groupId: `reader-${suffix()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const out: { key: string; value: number; partition: number }[] = [];
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    void consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) out.push({ key: m.key!.toString(), value: Number(m.value!.toString()), partition: batch.partition });
        if (out.length >= count) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return out;
}

describe.each(clients)('a pass-through stage on %s', (_name, makeClient) => {
  test('moves every record once, keeps each key on its partition and in order, and commits every offset', async () => {
    // Prepare
    const client = makeClient(`clients-test-${suffix()}`);
    const input = `clients-in-${suffix()}`;
    const output = `clients-out-${suffix()}`;
    const group = `clients-${suffix()}`;
    const total = 20_000;
    const admin = client.admin();
    await admin.connect();
    await admin.createTopics([
      { topic: input, numPartitions: 4, replicationFactor: 1 },
      { topic: output, numPartitions: 4, replicationFactor: 1 },
    ]);
    expect(await admin.describeTopics([input])).toEqual([{ topic: input, partitions: 4, replicationFactor: 1 }]);
    await produceRange(input, total);
    const metrics = createStreamMetrics(new Registry(), 'clients-test', { processMetrics: false });
    const producer = client.producer();
    await producer.connect();
    const inner = kafkaStageHandler({
      producer,
      metrics,
      dlq: new DlqWriter(producer, metrics),
      transform: (records) => ({ out: records.map((r) => ({ topic: output, key: r.key, value: r.value })), dead: [] }),
    });
    let done = 0;
    const inputPartition = new Map<string, number>();
    let finish: () => void = () => undefined;
    const finished = new Promise<void>((r) => (finish = r));
    const runner = new ConsumerRunner({
      consumer: client.consumer({ groupId: group, topics: [input] }),
      metrics,
      logger: pino({ level: 'silent' }),
      commitIntervalMs: 200,
      throttle: { maxRecordsPerBatch: 500, minFetchIntervalMs: 0, recordsPerSec: 0, bytesPerSec: 0, maxInFlight: 5000 },
      handler: async (records, ctx) => {
        for (const r of records) inputPartition.set(r.key!.toString(), r.partition);
        await inner(records, ctx);
        done += records.length;
        if (done >= total) finish();
      },
    });

    // Act
    await runner.start();
    await finished;
    await runner.stop(10_000);
    await producer.disconnect();
    const out = await readOutput(output, total);

    // Assess: all in, all out, each key's values in order on the partition kafkajs would pick
    expect(done).toBe(total);
    expect(out).toHaveLength(total);
    expect(new Set(out.map((o) => o.value)).size).toBe(total);
    const lastByKey = new Map<string, number>();
    for (const { key, value, partition } of out) {
      expect(partition).toBe(inputPartition.get(key));
      expect(value).toBeGreaterThan(lastByKey.get(key) ?? -1);
      lastByKey.set(key, value);
    }
    const offsets = await committedOffsets(group, input);
    expect([...offsets.values()].reduce((a, b) => a + b, 0n)).toBe(BigInt(total));
    const viaClient = await admin.fetchCommitted(group, input);
    expect(viaClient.map((p) => [p.partition, BigInt(p.offset)]).sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual([...offsets].sort((a, b) => a[0] - b[0]));
    const high = await admin.fetchTopicOffsets(input);
    expect(high.reduce((sum, p) => sum + BigInt(p.high), 0n)).toBe(BigInt(total));
    await admin.deleteTopics([input, output]);
    await admin.disconnect();
  }, 180_000);
});

