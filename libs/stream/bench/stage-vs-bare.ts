/**
 * Bench: a libs/stream pass-through stage (throttled consumer + checkpointing + acks=all producer)
 * against a bare kafkajs consume -> produce loop on the same broker, in the same run.
 * BENCH_RECORDS (default 1,000,000) records of 200 bytes. Prints a table, writes
 * bench/results/stream.json. Needs KAFKA_BROKERS (npm run bench starts the devstack).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import kafkajs from 'kafkajs';
import { runStageBench } from '../src/index.ts';

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
const total = Number(process.env.BENCH_RECORDS ?? 1_000_000);
const partitions = 4;
const kafka = new kafkajs.Kafka({ clientId: 'bench', brokers, logLevel: kafkajs.logLevel.NOTHING });
const id = () => randomUUID().slice(0, 8);

async function prepare(): Promise<string> {
  const topic = `bench-in-${id()}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  const value = Buffer.alloc(200, 'x');
  const batch = 10_000;
  const sends: Promise<unknown>[] = [];
  for (let i = 0; i < total; i += batch) {
    sends.push(producer.send({ topic, acks: -1, messages: Array.from({ length: Math.min(batch, total - i) }, (_, j) => ({ key: `dev-${(i + j) % 1000}`, value })) }));
    if (sends.length >= 4) await sends.shift();
  }
  await Promise.all(sends);
  await producer.disconnect();
  return topic;
}

async function outTopic(): Promise<string> {
  const topic = `bench-out-${id()}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  await admin.disconnect();
  return topic;
}

interface Run {
  seconds: number;
  batchMs: number[];
  rssMb: number;
}

async function bare(input: string): Promise<Run> {
  const output = await outTopic();
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  const consumer = kafka.consumer({ groupId: `bare-${id()}`, maxBytesPerPartition: 1_048_576 });
  await consumer.connect();
  await consumer.subscribe({ topic: input, fromBeginning: true });
  let done = 0;
  const batchMs: number[] = [];
  let rss = 0;
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    void consumer.run({
      autoCommit: true,
      partitionsConsumedConcurrently: 4,
      eachBatch: async ({ batch }) => {
        const b0 = performance.now();
        await producer.send({ topic: output, acks: -1, messages: batch.messages.map((m) => ({ key: m.key, value: m.value })) });
        batchMs.push(performance.now() - b0);
        done += batch.messages.length;
        rss = Math.max(rss, process.memoryUsage().rss);
        if (done >= total) resolve();
      },
    });
  });
  const seconds = (performance.now() - t0) / 1000;
  await consumer.disconnect();
  await producer.disconnect();
  return { seconds, batchMs, rssMb: rss / 1048576 };
}

async function stage(input: string): Promise<Run> {
  const output = await outTopic();
  const run = await runStageBench({ brokers, input, total, transform: (records) => ({ out: records.map((r) => ({ topic: output, key: r.key, value: r.value })), dead: [] }) });
  return { seconds: run.seconds, batchMs: [run.p99BatchMs], rssMb: run.rssMb };
}

const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.99)] ?? 0;

const input = await prepare();
const b = await bare(input);
const s = await stage(input);
const rate = (r: Run) => total / r.seconds;
const rows = [
  { run: 'bare kafkajs', rps: rate(b), mbps: (rate(b) * 200) / 1e6, p99: p99(b.batchMs), rss: b.rssMb },
  { run: 'libs/stream stage', rps: rate(s), mbps: (rate(s) * 200) / 1e6, p99: p99(s.batchMs), rss: s.rssMb },
];
console.log(`\nstage vs bare kafkajs, ${total} records of 200 bytes, ${partitions} partitions`);
console.log('| run | records/s | MB/s | p99 batch ms | RSS MB |\n|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.run} | ${r.rps.toFixed(0)} | ${r.mbps.toFixed(2)} | ${r.p99.toFixed(1)} | ${r.rss.toFixed(0)} |`);
const ratio = rate(s) / rate(b);
console.log(`ratio ${ratio.toFixed(2)} (goal >= 0.9)`);
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(
  new URL('./results/stream.json', import.meta.url),
  JSON.stringify({ measures: [{ name: 'stage-vs-bare-kafkajs', value: Math.round(rate(s)), unit: 'records/s', baseline: Math.round(rate(b)), ratio: Number(ratio.toFixed(3)), goal: 0.9 }], runs: rows }, null, 2),
);
process.exit(0);
