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
import kafkajs from 'kafkajs';
import type { KafkaClient } from '../src/index.ts';
import { bareKafkajsLoop, type BenchRunResult, benchChild, benchInput, benchTopic, printMeasures, runStageBench, writeBenchResults, type BenchMeasure } from './bench-kit.ts';
import { createConfluentClient } from './confluent-client.ts';
import { ensureConfluent } from './confluent-install.ts';

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
const quick = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
const total = Number(process.env.BENCH_RECORDS ?? (quick ? 100_000 : 1_000_000));
const partitions = 4;
const recordBytes = 200;
const kafka = new kafkajs.Kafka({ clientId: 'bench', brokers, logLevel: kafkajs.logLevel.NOTHING });

/** The runs, in order; `measure` names the line in bench/results/stream.json. */
const RUNS = [
  { run: 'bare-kafkajs', label: 'bare kafkajs loop', measure: null },
  { run: 'stage-kafkajs', label: 'stage on kafkajs 2.2.4 (default)', measure: 'stage-vs-bare-kafkajs' },
  { run: 'stage-platformatic', label: 'stage on @platformatic/kafka 2.12.1', measure: 'stage-platformatic-vs-bare-kafkajs' },
  { run: 'stage-confluent', label: 'stage on @confluentinc/kafka-javascript 1.10.1', measure: 'stage-confluent-vs-bare-kafkajs' },
] as const;
type RunName = (typeof RUNS)[number]['run'];

type RunResult = BenchRunResult;

const createTopic = (prefix: string) => benchTopic(kafka, prefix, partitions);

async function prepare(): Promise<string> {
  const topic = await createTopic('bench-in');
  await benchInput(kafka, { topic, total, recordBytes });
  return topic;
}

async function bare(input: string): Promise<RunResult> {
  return bareKafkajsLoop({ kafka, input, output: await createTopic('bench-out'), total });
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
  return benchChild<RunResult>(import.meta.url, [name, input], { BENCH_RECORDS: String(total) });
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
