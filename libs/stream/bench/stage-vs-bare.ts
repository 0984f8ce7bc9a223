/**
 * Bench: a libs/stream pass-through stage (throttled consumer + checkpointing + acks=all producer)
 * against a bare kafkajs consume -> produce loop on the same broker, in the same run, with the same
 * stage also on @platformatic/kafka and @confluentinc/kafka-javascript behind the same interface.
 * BENCH_RECORDS (default 1,000,000; 100,000 with BENCH_QUICK=1 or --quick) records of 200 bytes.
 * Each run is its own child process on the same input topic (so RSS is the run's own), one after
 * the other. Prints a table, writes bench/results/stream.json. Needs KAFKA_BROKERS (npm run bench
 * starts the devstack). The confluent client is built on first use (bench/confluent-install.ts;
 * never in a quick run); BENCH_CONFLUENT=0 leaves it out.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import type { KafkaClient } from '../src/index.ts';
import { percentile, printMeasures, runStageBench, writeBenchResults, type BenchMeasure } from './bench-kit.ts';
import { createConfluentClient } from './confluent-client.ts';
import { ensureConfluent } from './confluent-install.ts';

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
const quick = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
const total = Number(process.env.BENCH_RECORDS ?? (quick ? 100_000 : 1_000_000));
const partitions = 4;
const recordBytes = 200;
const kafka = new kafkajs.Kafka({ clientId: 'bench', brokers, logLevel: kafkajs.logLevel.NOTHING });
const id = () => randomUUID().slice(0, 8);

/** The runs, in order; `measure` names the line in bench/results/stream.json. */
const RUNS = [
  { run: 'bare-kafkajs', label: 'bare kafkajs loop', measure: null },
  { run: 'stage-kafkajs', label: 'stage on kafkajs 2.2.4 (default)', measure: 'stage-vs-bare-kafkajs' },
  { run: 'stage-platformatic', label: 'stage on @platformatic/kafka 2.12.1', measure: 'stage-platformatic-vs-bare-kafkajs' },
  { run: 'stage-confluent', label: 'stage on @confluentinc/kafka-javascript 1.10.1', measure: 'stage-confluent-vs-bare-kafkajs' },
] as const;
type RunName = (typeof RUNS)[number]['run'];

/** What one child process reports. */
interface RunResult {
  seconds: number;
  p99BatchMs: number;
  rssMb: number;
}

async function createTopic(prefix: string): Promise<string> {
  const topic = `${prefix}-${id()}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  await admin.disconnect();
  return topic;
}

async function prepare(): Promise<string> {
  const topic = await createTopic('bench-in');
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  const value = Buffer.alloc(recordBytes, 'x');
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

async function bare(input: string): Promise<RunResult> {
  const output = await createTopic('bench-out');
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
  return { seconds, p99BatchMs: percentile(batchMs, 0.99), rssMb: rss / 1048576 };
}

async function stageOn(input: string, client: KafkaClient | undefined): Promise<RunResult> {
  const output = await createTopic('bench-out');
  const run = await runStageBench({ brokers, input, total, client, transform: (records) => ({ out: records.map((r) => ({ topic: output, key: r.key, value: r.value })), dead: [] }) });
  return { seconds: run.seconds, p99BatchMs: run.p99BatchMs, rssMb: run.rssMb };
}

/** Runs one measurement in this process (the child side). */
async function runOne(name: RunName, input: string): Promise<RunResult> {
  const connection = { brokers, clientId: 'bench-stage' };
  switch (name) {
    case 'bare-kafkajs':
      return bare(input);
    case 'stage-kafkajs':
      return stageOn(input, undefined);
    case 'stage-platformatic': {
      // Imported here so the other runs never load it.
      const { createPlatformaticClient } = await import('../src/kafka/platformatic-client.ts');
      return stageOn(input, createPlatformaticClient(connection));
    }
    case 'stage-confluent': {
      const { module } = ensureConfluent({ install: false });
      if (!module) throw new Error('confluent client not installed');
      return stageOn(input, createConfluentClient(connection, module));
    }
  }
}

/** Runs one measurement in a child process, so its RSS and its loaded modules are its own. */
function inChild(name: RunName, input: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', name, input], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, BENCH_RECORDS: String(total) } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code === 0 && line) resolve(JSON.parse(line.slice(7)) as RunResult);
      else reject(new Error(`${name} exited ${code}: ${out.slice(-2000)}`));
    });
  });
}

const childAt = process.argv.indexOf('--child');
if (childAt >= 0) {
  const result = await runOne(process.argv[childAt + 1] as RunName, process.argv[childAt + 2]!);
  console.log(`RESULT ${JSON.stringify(result)}`);
  process.exit(0);
}

const confluent = ensureConfluent({ install: !quick });
const input = await prepare();
const rows: { run: string; client: string; rps: number; mbps: number; p99: number; rss: number; ratio: number }[] = [];
const left: Record<string, string> = {};
let baseline = 0;
for (const r of RUNS) {
  if (r.run === 'stage-confluent' && !confluent.module) {
    left[r.run] = confluent.reason ?? 'not available';
    console.error(`${r.run} left out: ${left[r.run]}`);
    continue;
  }
  console.error(`running ${r.run} ...`);
  const res = await inChild(r.run, input);
  const rps = total / res.seconds;
  if (r.run === 'bare-kafkajs') baseline = rps;
  rows.push({ run: r.run, client: r.label, rps, mbps: (rps * recordBytes) / 1e6, p99: res.p99BatchMs, rss: res.rssMb, ratio: rps / baseline });
}

console.log(`\npass-through stage vs bare kafkajs loop, ${total} records of ${recordBytes} bytes, ${partitions} partitions, same broker, one run after the other`);
console.log('| run | records/s | MB/s | p99 batch ms | RSS MB | ratio vs bare |\n|---|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.client} | ${r.rps.toFixed(0)} | ${r.mbps.toFixed(2)} | ${r.p99.toFixed(1)} | ${r.rss.toFixed(0)} | ${r.ratio.toFixed(2)} |`);
for (const [run, why] of Object.entries(left)) console.log(`| ${run} | left out: ${why.split('\n')[0]} | | | | |`);
console.log('goal: stage ratio >= 0.9');

const measures: BenchMeasure[] = rows.flatMap((r) => {
  const measure = RUNS.find((x) => x.run === r.run)?.measure;
  return measure ? [{ name: measure, value: Math.round(r.rps), unit: 'records/s', baseline: Math.round(baseline), ratio: Number(r.ratio.toFixed(3)), goal: 0.9 }] : [];
});
printMeasures('measures', measures);
writeBenchResults(new URL('./results/stream.json', import.meta.url), measures, {
  records: total,
  recordBytes,
  partitions,
  runs: rows.map((r) => ({ run: r.run, client: r.client, recordsPerSec: Math.round(r.rps), mbPerSec: Number(r.mbps.toFixed(2)), p99BatchMs: Number(r.p99.toFixed(1)), rssMb: Math.round(r.rss), ratio: Number(r.ratio.toFixed(3)) })),
  left,
});
process.exit(0);
