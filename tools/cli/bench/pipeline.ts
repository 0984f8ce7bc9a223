/**
 * Pipeline bench (and soak): the whole pipeline as separate processes on the devstack, fed by the
 * simulator over TCP and HTTP.
 *   1. max load: the simulator as fast as acks come (rate 0) -> acked events/s end to end in;
 *   2. half load: half of that for a while -> end-to-end latency p99 (receivedAt -> stored);
 *   3. RSS of every service (max over the run).
 * `--soak <minutes>` keeps half load that long, sampling RSS and event-loop delay per service
 * every 10 s into runs/soak-<time>/soak.json, and reports whether memory stayed flat.
 * Writes bench/results/pipeline.json (measures e2e-p99-ms-at-half-load, rss-mb-per-service, ...).
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { up, down } from '@fleetstream/devstack';
import { printMeasures, writeBenchResults, type BenchMeasure } from '@fleetstream/stream/bench-kit';
import { Supervisor } from '../src/demo/supervisor.ts';
import { startPipeline, startSimulator, type Pipeline } from '../src/demo/pipeline.ts';
import { scrape, type Snapshot } from '../src/demo/view.ts';
import { buckets, histogramQuantile, sum } from '../src/demo/prom-text.ts';
import { memoryVerdict, type MemoryVerdict } from '../src/soak-verdict.ts';

const { values } = parseArgs({ options: { soak: { type: 'string' } } });
const quick = process.env.BENCH_QUICK === '1';
const soakMinutes = Number(values.soak ?? 0);
const devices = Number(process.env.BENCH_DEVICES ?? 200);
const maxSeconds = quick ? 10 : 20;
const halfSeconds = soakMinutes > 0 ? soakMinutes * 60 : quick ? 15 : 40;
const repo = new URL('../../../', import.meta.url).pathname;
const runDir = join(repo, 'runs', `${soakMinutes > 0 ? 'soak' : 'pipeline-bench'}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
mkdirSync(runDir, { recursive: true });
const round1 = (x: number) => Math.round(x * 10) / 10;
const log = (m: string) => process.stderr.write(`[pipeline-bench] ${m}\n`);

const { state, started } = await up({ detached: true });
const supervisor = new Supervisor(runDir);
const rss = new Map<string, number>();
const series: { at: number; service: string; rssMb: number; heapUsedMb: number; externalMb: number; eventLoopLagMs: number }[] = [];

function sample(s: Snapshot): void {
  for (const [service, samples] of s.byService) {
    const mb = sum(samples, 'process_resident_memory_bytes') / 1048576;
    if (mb > 0) rss.set(service, Math.max(rss.get(service) ?? 0, mb));
    series.push({
      at: s.at,
      service,
      rssMb: mb,
      heapUsedMb: sum(samples, 'nodejs_heap_size_used_bytes') / 1048576,
      externalMb: sum(samples, 'nodejs_external_memory_bytes') / 1048576,
      eventLoopLagMs: sum(samples, 'nodejs_eventloop_lag_seconds') * 1000,
    });
  }
}

async function phase(pipeline: Pipeline, name: string, rate: number, seconds: number) {
  const jsonFile = join(runDir, `simulator-${name}.json`);
  const before = await scrape(pipeline.metricPorts);
  const sim = startSimulator(supervisor, pipeline, { devices, rate, duration: seconds, jsonFile, kafkaBrokers: state.kafka.brokers });
  const every = soakMinutes > 0 ? 10_000 : 2_000;
  let done = false;
  void sim.exited.then(() => (done = true));
  while (!done) {
    await new Promise((r) => setTimeout(r, every));
    sample(await scrape(pipeline.metricPorts));
  }
  const fedUntil = Date.now();
  // let the pipeline drain what was sent
  for (let i = 0; i < 60; i += 1) {
    const s = await scrape(pipeline.metricPorts);
    sample(s);
    if ([...s.byService.values()].every((samples) => sum(samples, 'fleetstream_consumer_lag') === 0)) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  const after = await scrape(pipeline.metricPorts);
  const summary = JSON.parse(readFileSync(jsonFile, 'utf8')) as { records: number; acked: number; durationMs: number; errors: number };
  const window = new Map([...buckets(after.byService.get('store') ?? [], 'fleetstream_end_to_end_latency_seconds')].map(([le, c]) => [le, c - (buckets(before.byService.get('store') ?? [], 'fleetstream_end_to_end_latency_seconds').get(le) ?? 0)]));
  return { eventsPerSec: summary.records / (summary.durationMs / 1000), packetsPerSec: summary.acked / (summary.durationMs / 1000), p99Ms: (histogramQuantile(0.99, window) ?? 0) * 1000, p50Ms: (histogramQuantile(0.5, window) ?? 0) * 1000, errors: summary.errors, fedUntil };
}

let code = 0;
try {
  const pipeline = await startPipeline(supervisor, {
    kafkaBrokers: state.kafka.brokers,
    cassandraContactPoints: state.cassandra.contactPoints,
    pgUrl: process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    devices,
    logLevel: 'warn',
    onReady: (n) => log(`${n} ready`),
  });
  log(`max load: ${devices} devices as fast as acks come, ${maxSeconds} s`);
  const max = await phase(pipeline, 'max', 0, maxSeconds);
  // The simulator's --rate is in packets/s: half load is half the packets/s the max phase had acked.
  const halfRate = Math.max(1, Math.round(max.packetsPerSec / 2));
  log(`max ${max.eventsPerSec.toFixed(0)} events/s (${max.packetsPerSec.toFixed(0)} packets/s); half load: ${halfRate} packets/s for ${halfSeconds} s`);
  const half = await phase(pipeline, 'half', halfRate, halfSeconds);
  const worstRss = Math.max(...rss.values());
  const measures: BenchMeasure[] = [
    { name: 'pipeline-max-events-per-s', value: Math.round(max.eventsPerSec), unit: 'events/s', baseline: null, ratio: null, goal: null },
    { name: 'e2e-p99-ms-at-half-load', value: Math.round(half.p99Ms), unit: 'ms', baseline: Math.round(half.p50Ms), ratio: half.p50Ms > 0 ? Number((half.p99Ms / half.p50Ms).toFixed(2)) : null, goal: null },
    { name: 'rss-mb-per-service', value: Math.round(worstRss), unit: 'MB (max over services)', baseline: null, ratio: null, goal: null },
    ...[...rss].map(([service, mb]) => ({ name: `rss-mb-${service}`, value: Math.round(mb), unit: 'MB', baseline: null, ratio: null, goal: null })),
  ];
  printMeasures(`pipeline bench (${devices} devices; e2e baseline = p50)`, measures);
  if (soakMinutes > 0) {
    // Samples of the soak phase only (the drain's are taken every second, after the feed ended).
    const flat: Record<string, MemoryVerdict & { maxLagMs: number }> = {};
    for (const service of rss.keys()) {
      const points = series.filter((p) => p.service === service && p.rssMb > 0 && p.at <= half.fedUntil);
      flat[service] = { ...memoryVerdict(points), maxLagMs: round1(Math.max(...points.map((p) => p.eventLoopLagMs))) };
    }
    writeFileSync(join(runDir, 'soak.json'), JSON.stringify({ minutes: soakMinutes, halfRate, flat, series }, null, 2));
    console.table(flat);
    const grown = Object.entries(flat).filter(([, f]) => !f.flat).map(([service]) => service);
    log(grown.length === 0 ? 'memory flat: no service ends with its live heap over 10 % above its earlier floors' : `memory NOT flat: ${grown.join(', ')}`);
    if (grown.length > 0) code = 1;
  } else {
    writeBenchResults(new URL('./results/pipeline.json', import.meta.url), measures, { max, half, runDir });
  }
} catch (err) {
  log(`failed: ${(err as Error).message}`);
  code = 1;
} finally {
  await supervisor.stopAll(15_000);
  if (started) await down();
}
process.exit(code);
