/**
 * Pipeline bench (and soak): the whole pipeline as separate processes on the devstack, fed by the
 * simulator over TCP and HTTP.
 * Bench (default): the open-loop load ladder of `fleetstream load` (BENCH_LOAD_RATES events/s,
 * BENCH_LOAD_DEVICES devices, BENCH_STEP_SECONDS per step, after BENCH_WARMUP_SECONDS unrecorded at the first rate), then a step at half and at 80 % of
 * the sustainable rate; writes bench/results/pipeline.json (pipeline-sustainable-events-per-s,
 * e2e-p99-ms-at-half-sustainable, e2e-p99-ms-at-80pct-sustainable, rss-mb-per-service,
 * cpu-ms-per-event-at-half-sustainable, ...) and the chart bench/results/pipeline-load.svg.
 * `--soak <minutes>`: the simulator as fast as acks come (BENCH_DEVICES devices) finds a max, then
 * half of it for that long, sampling RSS, heap and event-loop delay per service every 10 s into
 * runs/soak-<time>/soak.json, and reports whether memory stayed flat (soak-verdict.ts: the live
 * heap flat, the RSS flat past warm-up and under BENCH_RSS_BOUND_MB, default 150).
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
import { rssPerService, runLadder, runLoadStep, warmUp, type LoadStep } from '../src/load/load-steps.ts';
import { loadChartSvg } from '../src/load/load-chart.ts';

const { values } = parseArgs({ options: { soak: { type: 'string' } } });
const quick = process.env.BENCH_QUICK === '1';
const soakMinutes = Number(values.soak ?? 0);
const devices = Number(process.env.BENCH_DEVICES ?? 200);
const loadDevices = Number(process.env.BENCH_LOAD_DEVICES ?? (quick ? 2000 : 5000));
const loadRates = (process.env.BENCH_LOAD_RATES ?? (quick ? '300,1000,2000' : '500,1000,2000,4000')).split(',').map(Number);
const stepSeconds = Number(process.env.BENCH_STEP_SECONDS ?? (quick ? 15 : 30));
const warmupSeconds = Number(process.env.BENCH_WARMUP_SECONDS ?? (quick ? 10 : 20));
const maxSeconds = quick ? 10 : 20;
const rssBoundMb = Number(process.env.BENCH_RSS_BOUND_MB ?? 150);
const halfSeconds = soakMinutes > 0 ? soakMinutes * 60 : quick ? 15 : 40;
const repo = new URL('../../../', import.meta.url).pathname;
const runDir = join(repo, 'runs', `${soakMinutes > 0 ? 'soak' : 'pipeline-load'}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
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

/** The load bench: the ladder, then half and 80 % of the sustainable rate; measures and chart. */
async function loadBench(pipeline: Pipeline): Promise<void> {
  const o = {
    devices: loadDevices, stepSeconds, recordsPerPacket: 1, runDir, kafkaBrokers: state.kafka.brokers,
    serverPids: { kafka: state.kafka.pid, cassandra: state.cassandra.pid }, say: log,
  };
  if (warmupSeconds > 0) await warmUp(supervisor, pipeline, loadRates[0]!, warmupSeconds, o);
  const { steps, sustainable } = await runLadder(supervisor, pipeline, loadRates, o);
  // No sustainable step: the shares are taken of the lowest step's rate (and say so), so the
  // latency measures stay real numbers instead of zeros that would meet their goals.
  const base = sustainable > 0 ? sustainable : Math.min(...loadRates);
  const of = sustainable > 0 ? 'sustainable' : `lowest step's rate (no step sustainable)`;
  const at = async (share: number): Promise<LoadStep> => {
    const rate = Math.max(1, Math.round(base * share));
    log(`${share * 100} % of the ${of}: ${rate} events/s`);
    return runLoadStep(supervisor, pipeline, rate, o);
  };
  const half = await at(0.5);
  const eighty = await at(0.8);
  // A step that stored nothing has no latency: a value worse than any goal, not a 0 that meets it.
  const worst = (ms: number | undefined) => (ms === undefined ? 999_999 : Math.round(ms));
  const rss = rssPerService([...steps, half, eighty]);
  const measures: BenchMeasure[] = [
    { name: 'pipeline-sustainable-events-per-s', value: sustainable, unit: `events/s (open loop, ${loadDevices} devices, ${stepSeconds} s steps)`, baseline: null, ratio: null, goal: null },
    { name: 'pipeline-max-acked-events-per-s', value: Math.round(Math.max(0, ...steps.map((s) => s.ackedPerSec))), unit: 'events/s (highest step)', baseline: null, ratio: null, goal: null },
    { name: 'e2e-p99-ms-at-half-sustainable', value: worst(half.e2e.p99Ms), unit: `ms at ${half.rate} events/s = 50 % of the ${of}`, baseline: worst(half.e2e.p50Ms), ratio: null, goal: 250, better: 'lower' },
    { name: 'e2e-p99-ms-at-80pct-sustainable', value: worst(eighty.e2e.p99Ms), unit: `ms at ${eighty.rate} events/s = 80 % of the ${of}`, baseline: worst(eighty.e2e.p50Ms), ratio: null, goal: 500, better: 'lower' },
    { name: 'cpu-ms-per-event-at-half-sustainable', value: half.cpuMsPerEvent.all ?? 0, unit: 'CPU ms per event, all processes (Kafka, Cassandra, simulator included)', baseline: null, ratio: null, goal: null, better: 'lower' },
    { name: 'rss-mb-per-service', value: Math.round(rss.maxMb), unit: 'MB (max over services)', baseline: null, ratio: null, goal: rssBoundMb, better: 'lower' },
    ...Object.entries(rss.byService).map(([service, mb]) => ({ name: `rss-mb-${service}`, value: Math.round(mb), unit: 'MB', baseline: null, ratio: null, goal: null })),
  ];
  printMeasures(`pipeline load bench (${loadDevices} devices; e2e baseline = p50)`, measures);
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(new URL('./results/pipeline-load.svg', import.meta.url), loadChartSvg([...steps, half, eighty], sustainable));
  writeBenchResults(new URL('./results/pipeline.json', import.meta.url), measures, { sustainable, steps, half, eighty, runDir });
}


/** The soak: max load as fast as acks come, then half of it for --soak minutes; 1 when memory did not stay flat. */
async function soakBench(pipeline: Pipeline): Promise<number> {
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
    { name: 'rss-mb-per-service', value: Math.round(worstRss), unit: 'MB (max over services)', baseline: null, ratio: null, goal: rssBoundMb, better: 'lower' },
    ...[...rss].map(([service, mb]) => ({ name: `rss-mb-${service}`, value: Math.round(mb), unit: 'MB', baseline: null, ratio: null, goal: null })),
  ];
  printMeasures(`pipeline bench (${devices} devices; e2e baseline = p50)`, measures);
  // Samples of the soak phase only (the drain's are taken every second, after the feed ended).
  const flat: Record<string, MemoryVerdict & { maxLagMs: number }> = {};
  for (const service of rss.keys()) {
    const points = series.filter((p) => p.service === service && p.rssMb > 0 && p.at <= half.fedUntil);
    flat[service] = { ...memoryVerdict(points, { rssBoundMb }), maxLagMs: round1(Math.max(...points.map((p) => p.eventLoopLagMs))) };
  }
  writeFileSync(join(runDir, 'soak.json'), JSON.stringify({ minutes: soakMinutes, halfRate, flat, series }, null, 2));
  console.table(Object.fromEntries(Object.entries(flat).map(([service, { why, ...f }]) => [service, { ...f, why: why.join('; ') }])));
  const grown = Object.entries(flat).filter(([, f]) => !f.flat);
  log(
    grown.length === 0
      ? `memory flat: every service's live heap and RSS level after warm-up, and its RSS under ${rssBoundMb} MB`
      : `memory NOT flat: ${grown.map(([service, f]) => `${service} (${f.why.join('; ')})`).join(', ')}`,
  );
  return grown.length > 0 ? 1 : 0;
}

let code = 0;
try {
  const pipeline = await startPipeline(supervisor, {
    kafkaBrokers: state.kafka.brokers,
    cassandraContactPoints: state.cassandra.contactPoints,
    pgUrl: process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    devices: soakMinutes > 0 ? devices : loadDevices,
    logLevel: 'warn',
    onReady: (n) => log(`${n} ready`),
  });
  if (soakMinutes === 0) await loadBench(pipeline);
  else code = await soakBench(pipeline);
} catch (err) {
  log(`failed: ${(err as Error).message}`);
  code = 1;
} finally {
  await supervisor.stopAll(15_000);
  if (started) await down();
}
process.exit(code);
