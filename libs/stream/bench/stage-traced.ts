/**
 * Bench: what traces cost a stage. A pass-through stage that copies the trace headers (as parse
 * does) over input records that each carry their own `traceparent` (as the gateway writes them),
 * against a bare kafkajs consume -> produce loop on the same broker in the same run:
 * - `stage-vs-bare-kafkajs`: the stage with tracing off (chunks of 5,000, as bench/stage-vs-bare.ts);
 * - `stage-traced-vs-untraced-100pct` / `-1pct`: the stage at the services' chunk size (500) with
 *   tracing on (traceidratio sampler at 1.0 and 0.01: a trace id decides the same way at every hop),
 *   spans exported over OTLP/HTTP protobuf by the BatchSpanProcessor to a local server that discards
 *   them, so the exporter's cost counts — against the same stage untraced.
 * BENCH_RECORDS (default 300,000; 100,000 with BENCH_QUICK=1 or --quick) records of 200 bytes, 4
 * partitions. Each run is its own child process, one after the other; BENCH_ROUNDS (default 2)
 * rounds of all runs, each run's best round kept (the machine is shared). Prints a table, writes
 * bench/results/stream-tracing.json. Needs KAFKA_BROKERS.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import kafkajs from 'kafkajs';
import { copyTraceHeaders, installTracing, type Tracing } from '../src/index.ts';
import { bareKafkajsLoop, type BenchRunResult, benchChild, benchInput, benchTopic, printMeasures, runStageBench, writeBenchResults, type BenchMeasure } from './bench-kit.ts';

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
const quick = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
const total = Number(process.env.BENCH_RECORDS ?? (quick ? 100_000 : 300_000));
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
const partitions = 4;
const recordBytes = 200;
const kafka = new kafkajs.Kafka({ clientId: 'bench', brokers, logLevel: kafkajs.logLevel.NOTHING });

const RUNS = [
  { run: 'bare-kafkajs', label: 'bare kafkajs loop', chunk: 0, ratio: null },
  { run: 'stage-untraced-5000', label: 'stage, tracing off, chunks of 5,000', chunk: 5_000, ratio: null },
  { run: 'stage-untraced-500', label: 'stage, tracing off, chunks of 500', chunk: 500, ratio: null },
  { run: 'stage-traced-100pct', label: 'stage, traced 100 %, chunks of 500', chunk: 500, ratio: 1 },
  { run: 'stage-traced-1pct', label: 'stage, traced 1 %, chunks of 500', chunk: 500, ratio: 0.01 },
] as const;
type RunName = (typeof RUNS)[number]['run'];
type RunResult = BenchRunResult;

const createTopic = (prefix: string) => benchTopic(kafka, prefix, partitions);

/** The input: every record with a traceparent of its own trace (sampled flag set, as a gateway at 100 % writes it). */
async function prepare(): Promise<string> {
  const topic = await createTopic('bench-traced-in');
  await benchInput(kafka, { topic, total, recordBytes, headers: () => ({ traceparent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01` }) });
  return topic;
}

async function bare(input: string): Promise<RunResult> {
  return bareKafkajsLoop({ kafka, input, output: await createTopic('bench-out'), total, copyTraceparent: true });
}

async function runOne(name: RunName, input: string, collector: string): Promise<RunResult> {
  const spec = RUNS.find((r) => r.run === name)!;
  if (spec.chunk === 0) return bare(input);
  let tracing: Tracing | undefined;
  if (spec.ratio !== null) {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-proto');
    tracing = await installTracing({ serviceName: 'bench', exporter: new OTLPTraceExporter({ url: `${collector}/v1/traces` }), sampler: { name: 'traceidratio', ratio: spec.ratio } });
  }
  const output = await createTopic('bench-out');
  const run = await runStageBench({
    brokers,
    input,
    total,
    maxRecordsPerBatch: spec.chunk,
    transform: (records) => ({ out: records.map((r) => ({ topic: output, key: r.key, value: r.value, headers: copyTraceHeaders(r.headers, {}) })), dead: [] }),
  });
  await tracing?.shutdown(10_000);
  return { seconds: run.seconds, p99BatchMs: run.p99BatchMs, rssMb: run.rssMb };
}

function inChild(name: RunName, input: string, collector: string): Promise<RunResult> {
  return benchChild<RunResult>(import.meta.url, [name, input, collector], { BENCH_RECORDS: String(total) });
}

const childAt = process.argv.indexOf('--child');
if (childAt >= 0) {
  const result = await runOne(process.argv[childAt + 1] as RunName, process.argv[childAt + 2]!, process.argv[childAt + 3]!);
  console.log(`RESULT ${JSON.stringify(result)}`);
  process.exit(0);
}

// The OTLP receiver that discards: reads each export whole, answers 200, counts the bytes.
let exports = 0;
let exportBytes = 0;
const collector = createServer((req, res) => {
  req.on('data', (c: Buffer) => (exportBytes += c.length));
  req.on('end', () => {
    exports++;
    res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
  });
});
await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
const collectorUrl = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;

const input = await prepare();
const rows: { run: string; label: string; rps: number; p99: number; rss: number; exports: number; exportKb: number; all: number[] }[] = [];
for (let round = 1; round <= rounds; round++) {
  for (const r of RUNS) {
    console.error(`round ${round}: running ${r.run} ...`);
    const [e0, b0] = [exports, exportBytes];
    const res = await inChild(r.run, input, collectorUrl);
    const row = { run: r.run, label: r.label, rps: total / res.seconds, p99: res.p99BatchMs, rss: res.rssMb, exports: exports - e0, exportKb: (exportBytes - b0) / 1024, all: [total / res.seconds] };
    const best = rows.find((x) => x.run === r.run);
    if (!best) rows.push(row);
    else if (row.rps > best.rps) Object.assign(best, row, { all: [...best.all, row.rps] });
    else best.all.push(row.rps);
  }
}
collector.close();

const rps = (run: RunName) => rows.find((r) => r.run === run)!.rps;
const baseline = rps('bare-kafkajs');
const untraced = rps('stage-untraced-500');
console.log(`\ntracing cost of a pass-through stage, ${total} records of ${recordBytes} bytes (each with its own traceparent), ${partitions} partitions, same broker, one run after the other`);
console.log(`best of ${rounds} round(s); every round's records/s in the last column`);
console.log('| run | records/s | p99 chunk ms | RSS MB | OTLP exports | exported KiB | ratio vs bare | ratio vs untraced (500) | rounds |\n|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.label} | ${r.rps.toFixed(0)} | ${r.p99.toFixed(1)} | ${r.rss.toFixed(0)} | ${r.exports} | ${r.exportKb.toFixed(0)} | ${(r.rps / baseline).toFixed(2)} | ${r.run.startsWith('stage-traced') || r.run === 'stage-untraced-500' ? (r.rps / untraced).toFixed(2) : ''} | ${r.all.map((x) => x.toFixed(0)).join(', ')} |`);
}
console.log('goal: stage-vs-bare-kafkajs >= 0.9 with tracing off. The machine is shared: figures are noisy.');

const measures: BenchMeasure[] = [
  { name: 'stage-vs-bare-kafkajs', value: Math.round(rps('stage-untraced-5000')), unit: 'records/s', baseline: Math.round(baseline), ratio: Number((rps('stage-untraced-5000') / baseline).toFixed(3)), goal: 0.9 },
  { name: 'stage-traced-vs-untraced-100pct', value: Math.round(rps('stage-traced-100pct')), unit: 'records/s', baseline: Math.round(untraced), ratio: Number((rps('stage-traced-100pct') / untraced).toFixed(3)), goal: null },
  { name: 'stage-traced-vs-untraced-1pct', value: Math.round(rps('stage-traced-1pct')), unit: 'records/s', baseline: Math.round(untraced), ratio: Number((rps('stage-traced-1pct') / untraced).toFixed(3)), goal: null },
];
printMeasures('measures', measures);
writeBenchResults(new URL('./results/stream-tracing.json', import.meta.url), measures, {
  records: total,
  recordBytes,
  partitions,
  note: 'shared machine (several helpers running tests at once): figures are noisy',
  runs: rows.map((r) => ({ run: r.run, label: r.label, recordsPerSec: Math.round(r.rps), p99ChunkMs: Number(r.p99.toFixed(1)), rssMb: Math.round(r.rss), otlpExports: r.exports, exportedKiB: Math.round(r.exportKb), roundsRecordsPerSec: r.all.map(Math.round) })),
  rounds,
});
process.exit(0);
