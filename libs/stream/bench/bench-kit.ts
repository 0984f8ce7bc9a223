import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import { pino } from 'pino';
import { createKafkajsClient } from '../src/kafka/kafkajs-client.ts';
import { createStreamMetrics } from '../src/metrics.ts';
import { ConsumerRunner } from '../src/consumer-runner.ts';
import { DlqWriter } from '../src/dlq.ts';
import { kafkaStageHandler, type Transform } from '../src/stage.ts';
import type { OutboundRecord } from '../src/types.ts';
import type { KafkaClient } from '../src/kafka/types.ts';

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
