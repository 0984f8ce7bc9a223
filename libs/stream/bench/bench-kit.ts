import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname } from 'node:path';
import { randomUUID } from 'node:crypto';
import kafkajs from 'kafkajs';
import { Registry } from 'prom-client';
import { pino } from 'pino';
import { createKafkajsClient } from '../src/kafka/kafkajs-client.ts';
import { createStreamMetrics } from '../src/metrics.ts';
import { ConsumerRunner } from '../src/consumer-runner.ts';
import { DlqWriter } from '../src/dlq.ts';
import { kafkaStageHandler, type Transform } from '../src/stage.ts';
import type { OutboundRecord } from '../src/types.ts';
import type { KafkaClient } from '../src/kafka/types.ts';

/** What one child run of a stage bench reports. */
export interface BenchRunResult {
  seconds: number;
  p99BatchMs: number;
  rssMb: number;
}

/** One line of bench/results.json (issue 11's format). */
export interface BenchMeasure {
  name: string;
  value: number;
  unit: string;
  baseline: number | null;
  ratio: number | null;
  goal: number | null;
  /** 'lower' when the goal is a ceiling (calls per event, failures); the goal is a floor otherwise. */
  better?: 'higher' | 'lower';
  /** 'value' when the goal is a floor on the value itself though a baseline is shown (an outside figure, e.g. Flink's). */
  goalOn?: 'ratio' | 'value';
}

export interface StageRun {
  records: number;
  seconds: number;
  recordsPerSec: number;
  p99BatchMs: number;
  rssMb: number;
}

const id = () => randomUUID().slice(0, 8);

/** Creates topics (bench helper; services use topology). */
export async function benchTopics(brokers: string[], names: string[], partitions: number): Promise<void> {
  const admin = createKafkajsClient({ brokers, clientId: 'bench' }).admin();
  await admin.connect();
  await admin.createTopics(names.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })));
  await admin.disconnect();
}

/** Produces records with up to 4 requests in flight. */
export async function benchProduce(brokers: string[], records: OutboundRecord[], batch = 10_000): Promise<void> {
  const producer = createKafkajsClient({ brokers, clientId: 'bench' }).producer();
  await producer.connect();
  const sends: Promise<void>[] = [];
  for (let i = 0; i < records.length; i += batch) {
    sends.push(producer.send(records.slice(i, i + batch)));
    if (sends.length >= 4) await sends.shift();
  }
  await Promise.all(sends);
  await producer.disconnect();
}

/**
 * Runs a Kafka -> Kafka stage built from libs/stream (consumer runner, stage handler, acks=all
 * producer) over `total` input records of `input`, from the beginning, with a fresh group.
 */
export async function runStageBench(options: { brokers: string[]; input: string; total: number; transform: Transform; maxRecordsPerBatch?: number; client?: KafkaClient }): Promise<StageRun> {
  // `client` runs the same stage on another Kafka client (bench/stage-vs-bare.ts); kafkajs by default.
  const client = options.client ?? createKafkajsClient({ brokers: options.brokers, clientId: 'bench-stage' });
  const metrics = createStreamMetrics(new Registry(), 'bench', { processMetrics: false });
  const producer = client.producer();
  await producer.connect();
  const inner = kafkaStageHandler({ producer, metrics, dlq: new DlqWriter(producer, metrics), transform: options.transform });
  let done = 0;
  const batchMs: number[] = [];
  let rss = 0;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((r) => (finish = r));
  const runner = new ConsumerRunner({
    consumer: client.consumer({ groupId: `bench-${id()}`, topics: [options.input], partitionsConsumedConcurrently: 4 }),
    metrics,
    logger: pino({ level: 'silent' }),
    commitIntervalMs: 1000,
    throttle: { maxRecordsPerBatch: options.maxRecordsPerBatch ?? 5_000, minFetchIntervalMs: 0, recordsPerSec: 0, bytesPerSec: 0, maxInFlight: 1_000_000 },
    handler: async (records, ctx) => {
      const b0 = performance.now();
      await inner(records, ctx);
      batchMs.push(performance.now() - b0);
      done += records.length;
      rss = Math.max(rss, process.memoryUsage().rss);
      if (done >= options.total) finish();
    },
  });
  const t0 = performance.now();
  await runner.start();
  await finished;
  const seconds = (performance.now() - t0) / 1000;
  await runner.stop(10_000);
  await producer.disconnect();
  return { records: done, seconds, recordsPerSec: done / seconds, p99BatchMs: percentile(batchMs, 0.99), rssMb: rss / 1048576 };
}

export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return 0;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

/** Writes `{ measures, ...extra }` as JSON, creating the folder. */
export function writeBenchResults(file: URL | string, measures: BenchMeasure[], extra: Record<string, unknown> = {}): void {
  const path = file instanceof URL ? file.pathname : file;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify({ measures, ...extra }, null, 2));
}

/** Prints a markdown table of measures. */
export function printMeasures(title: string, measures: BenchMeasure[]): void {
  console.log(`\n${title}\n| measure | value | unit | baseline | ratio | goal |\n|---|---|---|---|---|---|`);
  for (const m of measures) console.log(`| ${m.name} | ${fmt(m.value)} | ${m.unit} | ${fmt(m.baseline)} | ${fmt(m.ratio)} | ${fmt(m.goal)} |`);
}

const fmt = (v: number | null) => (v === null ? '–' : Number.isInteger(v) ? String(v) : v.toFixed(3));

/** Creates `<prefix>-<random>` with `partitions` partitions through kafkajs's admin (waits for leaders). */
export async function benchTopic(kafka: kafkajs.Kafka, prefix: string, partitions: number): Promise<string> {
  const topic = `${prefix}-${id()}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  await admin.disconnect();
  return topic;
}

/**
 * The baseline of the stage benches: a bare kafkajs consume -> produce loop (eachBatch, acks=all,
 * idempotent, auto-commit) over `total` records of `input`. `copyTraceparent` carries each record's
 * `traceparent` over, the same per-record work as a stage that continues traces.
 */
export async function bareKafkajsLoop(o: { kafka: kafkajs.Kafka; input: string; output: string; total: number; copyTraceparent?: boolean }): Promise<{ seconds: number; p99BatchMs: number; rssMb: number }> {
  const producer = o.kafka.producer({ idempotent: true });
  await producer.connect();
  const consumer = o.kafka.consumer({ groupId: `bare-${id()}`, maxBytesPerPartition: 1_048_576 });
  await consumer.connect();
  await consumer.subscribe({ topic: o.input, fromBeginning: true });
  const message = o.copyTraceparent
    ? (m: kafkajs.KafkaMessage) => ({ key: m.key, value: m.value, headers: m.headers?.traceparent ? { traceparent: m.headers.traceparent } : {} })
    : (m: kafkajs.KafkaMessage) => ({ key: m.key, value: m.value });
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
        await producer.send({ topic: o.output, acks: -1, messages: batch.messages.map(message) });
        batchMs.push(performance.now() - b0);
        done += batch.messages.length;
        rss = Math.max(rss, process.memoryUsage().rss);
        if (done >= o.total) resolve();
      },
    });
  });
  const seconds = (performance.now() - t0) / 1000;
  await consumer.disconnect();
  await producer.disconnect();
  return { seconds, p99BatchMs: percentile(batchMs, 0.99), rssMb: rss / 1048576 };
}

/**
 * Runs one measurement of a bench script in a child process (`<script> --child <args>`), so its RSS
 * and loaded modules are its own; the child prints `RESULT <json>` and exits 0.
 */
export function benchChild<R>(script: string | URL, args: string[], env: Record<string, string>): Promise<R> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(script), '--child', ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code === 0 && line) resolve(JSON.parse(line.slice(7)) as R);
      else reject(new Error(`${args[0]} exited ${code}: ${out.slice(-2000)}`));
    });
  });
}

/**
 * The input of the stage benches: `total` records of `recordBytes` bytes keyed by 1,000 devices, 4
 * sends in flight; `headers(i)` gives a record its headers (none by default).
 */
export async function benchInput(kafka: kafkajs.Kafka, o: { topic: string; total: number; recordBytes: number; headers?: (i: number) => Record<string, string> }): Promise<void> {
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  const value = Buffer.alloc(o.recordBytes, 'x');
  const batch = 10_000;
  const sends: Promise<unknown>[] = [];
  for (let i = 0; i < o.total; i += batch) {
    const messages = Array.from({ length: Math.min(batch, o.total - i) }, (_, j) => ({ key: `dev-${(i + j) % 1000}`, value, headers: o.headers?.(i + j) }));
    sends.push(producer.send({ topic: o.topic, acks: -1, messages }));
    if (sends.length >= 4) await sends.shift();
  }
  await Promise.all(sends);
  await producer.disconnect();
}
