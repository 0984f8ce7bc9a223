import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Supervisor } from '../demo/supervisor.ts';
import { startSimulator, type Pipeline } from '../demo/pipeline.ts';
import { scrape, type Snapshot } from '../demo/view.ts';
import { buckets, histogramQuantile, sum } from '../demo/prom-text.ts';
import { CpuMeter, rssMb } from './proc-stats.ts';

/** One step of the load ladder, as the JSON lists it. */
export interface LoadStep {
  /** Events per second the simulator was asked to offer. */
  rate: number;
  seconds: number;
  /** Events the schedule offered over the step (rate × seconds). */
  offered: number;
  /** Events in packets the gateway acknowledged (durable in Kafka). */
  acked: number;
  ackedPerSec: number;
  simulatorErrors: number;
  /** receivedAt -> stored, at store, over the step and its drain; max is the upper bound of the highest bucket hit. */
  e2e: { count: number; p50Ms: number | undefined; p99Ms: number | undefined; maxMs: number | undefined };
  /** Consumer lag summed over partitions, per consuming service: at the feed's start, end, and its maximum. */
  lag: Record<string, { start: number; end: number; max: number }>;
  /** Seconds after the feed until every consumer's lag read 0 (undefined: not within the drain limit). */
  drainSeconds: number | undefined;
  /** CPU-seconds per process over the feed (services, simulator, Kafka, Cassandra). */
  cpuSeconds: Record<string, number>;
  /** CPU milliseconds per acked event, per process and in all. */
  cpuMsPerEvent: Record<string, number>;
  /**
   * The same above each process's idle use (measured before the first step, {@link measureIdleCpu}):
   * what the events cost, without the timers, polls and background work that run whatever the
   * rate and weigh on the figure when few events pass. Absent when no idle use was measured.
   */
  cpuMsPerEventAboveIdle?: Record<string, number>;
  /** Highest RSS per process over the step (MB). */
  rssMb: Record<string, number>;
  /** The step's verdict: acked = offered (within the ramp's 3 %), lag did not grow, e2e p99 < 1 s. */
  sustainable: boolean;
  why: string[];
}

export interface LoadOptions {
  devices: number;
  stepSeconds: number;
  /** AVL records per packet / events per HTTP request (events/s = packets/s × this). */
  recordsPerPacket: number;
  runDir: string;
  kafkaBrokers: string;
  /** Extra processes whose CPU counts (Kafka, Cassandra), by name. */
  serverPids: Record<string, number>;
  /** Longest wait for the lag to reach 0 after a step. */
  drainLimitSeconds?: number;
  /** CPU-seconds per second per process with the pipeline idle ({@link measureIdleCpu}). */
  idleCpuPerSecond?: Record<string, number>;
  say: (msg: string) => void;
  stopping?: () => boolean;
}

const CONSUMERS = ['parse', 'enrich', 'store'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

function lagOf(s: Snapshot): Record<string, number> {
  return Object.fromEntries(CONSUMERS.map((name) => [name, sum(s.byService.get(name) ?? [], 'fleetstream_consumer_lag')]));
}

/** The live pids of the supervised processes (the newest of each name) and the servers. */
function pids(supervisor: Supervisor, servers: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of supervisor.processes) if (s.child.pid !== undefined && s.child.exitCode === null && s.child.signalCode === null) out[s.spec.name] = s.child.pid;
  return { ...out, ...servers };
}

/**
 * Runs one step: the simulator offers `rate` events/s from `devices` devices (TCP and HTTP) for
 * `stepSeconds`, as its own process; lag, RSS and CPU are sampled every 2 s; then the pipeline
 * drains (lag 0) and the end-to-end latency of the step is read from store's histogram.
 */
export async function runLoadStep(supervisor: Supervisor, pipeline: Pipeline, rate: number, o: LoadOptions): Promise<LoadStep> {
  const before = await scrape(pipeline.metricPorts);
  const meter = new CpuMeter(() => pids(supervisor, o.serverPids));
  const meteredFrom = performance.now();
  const jsonFile = join(o.runDir, `simulator-${rate}.json`);
  const sim = startSimulator(supervisor, pipeline, {
    devices: o.devices,
    rate: rate / o.recordsPerPacket,
    duration: o.stepSeconds,
    jsonFile,
    kafkaBrokers: o.kafkaBrokers,
    extraArgs: ['--records', String(o.recordsPerPacket)],
  });
  const startLag = lagOf(before);
  const lag: LoadStep['lag'] = Object.fromEntries(CONSUMERS.map((n) => [n, { start: startLag[n]!, end: 0, max: startLag[n]! }]));
  const rss: Record<string, number> = {};
  let done = false;
  void sim.exited.then(() => (done = true));
  let last = before;
  while (!done) {
    await Promise.race([sleep(2_000), sim.exited]);
    meter.sample();
    for (const [name, pid] of Object.entries(pids(supervisor, o.serverPids))) {
      const mb = rssMb(pid);
      if (mb !== undefined) rss[name] = Math.max(rss[name] ?? 0, mb);
    }
    last = await scrape(pipeline.metricPorts);
    for (const [n, v] of Object.entries(lagOf(last))) lag[n]!.max = Math.max(lag[n]!.max, v);
  }
  const cpu = meter.used();
  const meteredSeconds = (performance.now() - meteredFrom) / 1000;
  for (const [n, v] of Object.entries(lagOf(last))) lag[n]!.end = v;
  const fedAt = Date.now();
  let drainSeconds: number | undefined;
  for (const until = fedAt + (o.drainLimitSeconds ?? 60) * 1000; Date.now() < until && !o.stopping?.(); ) {
    const s = await scrape(pipeline.metricPorts);
    if (Object.values(lagOf(s)).every((v) => v === 0)) {
      drainSeconds = round((Date.now() - fedAt) / 1000);
      break;
    }
    await sleep(500);
  }
  const after = await scrape(pipeline.metricPorts);
  const summary = JSON.parse(readFileSync(jsonFile, 'utf8')) as { records: number; errors: number; durationMs: number };
  const e2e = e2eWindow(before, after);
  const offered = Math.round(rate * o.stepSeconds);
  const totalCpu = Object.values(cpu).reduce((a, b) => a + b, 0);
  const perEvent = (s: number) => (summary.records > 0 ? round((s * 1000) / summary.records, 3) : 0);
  const step: LoadStep = {
    rate,
    seconds: o.stepSeconds,
    offered,
    acked: summary.records,
    ackedPerSec: round(summary.records / o.stepSeconds),
    simulatorErrors: summary.errors,
    e2e,
    lag,
    drainSeconds,
    cpuSeconds: Object.fromEntries(Object.entries(cpu).map(([n, s]) => [n, round(s, 2)])),
    cpuMsPerEvent: { ...Object.fromEntries(Object.entries(cpu).map(([n, s]) => [n, perEvent(s)])), all: perEvent(totalCpu) },
    cpuMsPerEventAboveIdle: o.idleCpuPerSecond ? aboveIdle(cpu, o.idleCpuPerSecond, meteredSeconds, perEvent) : undefined,
    rssMb: Object.fromEntries(Object.entries(rss).map(([n, mb]) => [n, Math.round(mb)])),
    sustainable: false,
    why: [],
  };
  step.why = verdict(step);
  step.sustainable = step.why.length === 0;
  return step;
}

/** Per process, CPU-seconds above its idle use over `seconds`, as ms per event; and in all. */
export function aboveIdle(cpu: Record<string, number>, idlePerSecond: Record<string, number>, seconds: number, perEvent: (s: number) => number): Record<string, number> {
  const above = Object.fromEntries(Object.entries(cpu).map(([n, s]) => [n, Math.max(0, s - (idlePerSecond[n] ?? 0) * seconds)]));
  return { ...Object.fromEntries(Object.entries(above).map(([n, s]) => [n, perEvent(s)])), all: perEvent(Object.values(above).reduce((a, b) => a + b, 0)) };
}

/**
 * Each process's CPU-seconds per second over `seconds` with the pipeline running and nothing
 * offered (the services' polls, timers and metrics, Kafka's and Cassandra's background work).
 */
export async function measureIdleCpu(supervisor: Supervisor, serverPids: Record<string, number>, seconds: number): Promise<Record<string, number>> {
  const meter = new CpuMeter(() => pids(supervisor, serverPids));
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const used = meter.used();
  const elapsed = (performance.now() - t0) / 1000;
  return Object.fromEntries(Object.entries(used).map(([n, s]) => [n, round(s / elapsed, 4)]));
}

/**
 * Why a step is not sustainable (empty: it is). Acked must reach 97 % of offered (the devices
 * start spread over their first interval, which costs up to a few %), the lag at the feed's end
 * must stay under half a second of input (at least 200 records: one fetch of one partition), and
 * the e2e p99 must stay under 1 s.
 */
export function verdict(step: Pick<LoadStep, 'rate' | 'offered' | 'acked' | 'lag' | 'e2e'>): string[] {
  const why: string[] = [];
  if (step.acked < step.offered * 0.97) why.push(`acked ${step.acked} < 97 % of offered ${step.offered}`);
  const endLag = Object.values(step.lag).reduce((a, l) => a + l.end, 0);
  const lagLimit = Math.max(200, step.rate * 0.5);
  if (endLag > lagLimit) why.push(`lag ${endLag} at the feed's end > ${lagLimit} (half a second of input)`);
  if (step.e2e.p99Ms === undefined) why.push('no event stored');
  else if (step.e2e.p99Ms >= 1_000) why.push(`e2e p99 ${Math.round(step.e2e.p99Ms)} ms >= 1000 ms`);
  return why;
}

/** Quantiles of store's end-to-end histogram between two scrapes. */
export function e2eWindow(before: Snapshot, after: Snapshot): LoadStep['e2e'] {
  const name = 'fleetstream_end_to_end_latency_seconds';
  const then = buckets(before.byService.get('store') ?? [], name);
  const now = buckets(after.byService.get('store') ?? [], name);
  const window = new Map([...now].map(([le, c]) => [le, c - (then.get(le) ?? 0)]));
  const les = [...window.keys()].sort((a, b) => a - b);
  let maxLe: number | undefined;
  let prev = 0;
  for (const le of les) {
    if (window.get(le)! > prev) maxLe = le;
    prev = window.get(le)!;
  }
  const ms = (v: number | undefined) => (v === undefined ? undefined : round(v * 1000));
  return { count: window.get(Infinity) ?? 0, p50Ms: ms(histogramQuantile(0.5, window)), p99Ms: ms(histogramQuantile(0.99, window)), maxMs: maxLe === undefined ? undefined : maxLe * 1000 };
}

/** The pipeline's services, whose RSS `rss-mb-per-service` reports (not the simulator, Kafka or Cassandra). */
export const PIPELINE_SERVICES = ['gateway', 'parse', 'enrich', 'store', 'sql-source'] as const;

/**
 * `rss-mb-per-service`: each service's highest RSS over the steps (MB; 0 for one never sampled)
 * and the highest of them, the figure issue #18 bounds at 150 MB.
 */
export function rssPerService(steps: readonly Pick<LoadStep, 'rssMb'>[]): { maxMb: number; byService: Record<string, number> } {
  const byService = Object.fromEntries(PIPELINE_SERVICES.map((n) => [n, Math.max(0, ...steps.map((s) => s.rssMb[n] ?? 0))]));
  return { maxMb: Math.max(...Object.values(byService)), byService };
}

/** The highest rate among sustainable steps (0 when none is). */
export function sustainableRate(steps: LoadStep[]): number {
  return Math.max(0, ...steps.filter((s) => s.sustainable).map((s) => s.rate));
}

/**
 * The warm-up: `rate` offered for `seconds` and not recorded. A freshly started Cassandra or Kafka
 * runs interpreted code and grows its pools for its first tens of seconds (a devstack's first
 * 30-s step at 500 events/s: 3.8 ms of CPU per event and e2e p99 4.8 s; the next at 1,000: 1.9 ms
 * and 0.97 s), which no long-running pipeline sees: a ladder that began cold judged its first step
 * by the JVMs' start, not by the pipeline.
 */
export async function warmUp(supervisor: Supervisor, pipeline: Pipeline, rate: number, seconds: number, o: LoadOptions): Promise<LoadStep> {
  o.say(`warm-up: ${rate} events/s for ${seconds} s, not recorded`);
  const step = await runLoadStep(supervisor, pipeline, rate, { ...o, stepSeconds: seconds });
  o.say(`  warm-up acked ${step.ackedPerSec}/s, e2e p99 ${step.e2e.p99Ms ?? '–'} ms, CPU ${step.cpuMsPerEvent.all} ms/event`);
  return step;
}

/** Runs the steps in order (stopping early when asked) and names the sustainable rate. */
export async function runLadder(supervisor: Supervisor, pipeline: Pipeline, rates: number[], o: LoadOptions): Promise<{ steps: LoadStep[]; sustainable: number }> {
  const steps: LoadStep[] = [];
  for (const rate of rates) {
    if (o.stopping?.()) break;
    o.say(`step ${rate} events/s from ${o.devices} devices for ${o.stepSeconds} s`);
    const step = await runLoadStep(supervisor, pipeline, rate, o);
    steps.push(step);
    o.say(`  acked ${step.ackedPerSec}/s, e2e p50 ${step.e2e.p50Ms ?? '–'} ms p99 ${step.e2e.p99Ms ?? '–'} ms, CPU ${step.cpuMsPerEvent.all} ms/event: ${step.sustainable ? 'sustainable' : step.why.join('; ')}`);
  }
  return { steps, sustainable: sustainableRate(steps) };
}
