/**
 * Catch-up against a Cassandra that overloads (issue 18, point 6). Needs the devstack's
 * 'overload' profile (`devstack up --cassandra-profile overload`: 2 write threads blocked on a
 * group-committed commit log, 200 ms write timeout), which answers WriteTimeout when sent more at
 * once than it drains within the timeout.
 *
 * 1. Probe: a bare cassandra-driver loop at a low and a high fixed concurrency counts what the
 *    driver answers (writes/s, errors by class), to show this Cassandra pushes back.
 * 2. Sweep: the real store drains the same backlog (a fresh consumer group each time) with its
 *    limiter pinned (min = max = initial = C) for each C, up to a time cap: events/s, rows/s,
 *    overload errors.
 * 3. Catch-up: the store with its adaptive limiter (defaults: 1..64, from 8, slow start) drains
 *    the same backlog in full, into a fresh keyspace; its limit is sampled every 250 ms.
 * Before each run the bench waits until Cassandra takes single writes quickly again, so no run
 * pays for the collapse of the one before (64 at once leaves the node struggling for seconds).
 * The ratio is the catch-up's position rows/s (rows written over the run's time, store start
 * included) over the best swept C's (a capped run: its rows so far); a failed record is a DLQ record
 * or a row missing after the catch-up. Samples and charts go to
 * BENCH_RUN_DIR (default runs/)/catchup-overload-<timestamp>/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isRetryable } from '@fleetstream/stream';
import { percentile, type BenchMeasure } from '@fleetstream/stream/bench-kit';
import { lineChartSvg } from './chart-svg.ts';
import { countRows } from './catch-up.ts';
import { probeOverload, waitSettled, type ProbeRun } from './overload-probe.ts';
import { cassandraClient, committedLag, createTopics, dropKeyspace, freshKeyspace, id, kafka, metricSum, produceEvents, sleep, startStore } from './bench-support.ts';

/** Few devices: a chunk holds many events of each, so the store writes 16-row batches (as in a real catch-up). */
export const OVERLOAD_DEVICES = 16;
const SAMPLE_MS = 250;
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export interface DrainSample {
  t: number;
  committedLag: number;
  concurrency: number;
  rowsWritten: number;
  overloadErrors: number;
}

/** One drain of the backlog by the store: pinned at `concurrency`, or adaptive. */
export interface DrainRun {
  run: string;
  /** The pinned limit, or null for the adaptive limiter. */
  concurrency: number | null;
  eventsDrained: number;
  seconds: number;
  eventsPerSec: number;
  rowsPerSec: number;
  overloadErrors: number;
  dlq: number;
  /** True when the time cap stopped the run before the backlog was drained. */
  capped: boolean;
  samples: DrainSample[];
}

interface Backlog {
  input: string;
  events: number;
}

/** Starts the store on `keyspace` with `extra` env, samples until the backlog is drained or `capSeconds` passed. */
async function drain(run: string, concurrency: number | null, keyspace: string, backlog: Backlog, capSeconds: number): Promise<DrainRun> {
  const group = `store-overload-${id()}`;
  const dlq = `bench-overload-dlq-${id()}`;
  await createTopics([dlq], 1);
  const admin = kafka.admin();
  await admin.connect();
  const extra: Record<string, string> = concurrency === null ? {} : { STORE_MIN_CONCURRENCY: String(concurrency), STORE_MAX_CONCURRENCY: String(concurrency), STORE_INITIAL_CONCURRENCY: String(concurrency) };
  const t0 = performance.now();
  const { deps, shutdown } = await startStore({ keyspace, input: backlog.input, dlq, group, extra });
  const samples: DrainSample[] = [];
  let capped = false;
  try {
    for (;;) {
      await sleep(SAMPLE_MS);
      const t = (performance.now() - t0) / 1000;
      const sample: DrainSample = {
        t: Number(t.toFixed(2)),
        committedLag: await committedLag(admin, group, backlog.input),
        concurrency: await metricSum(deps.registry, 'fleetstream_sink_concurrency'),
        rowsWritten: await metricSum(deps.registry, 'fleetstream_store_rows_written_total'),
        overloadErrors: await metricSum(deps.registry, 'fleetstream_store_overload_errors_total'),
      };
      samples.push(sample);
      if (samples.length % 20 === 0) console.error(`${run}: t=${sample.t}s lag=${sample.committedLag} limit=${sample.concurrency} rows=${sample.rowsWritten} overloads=${sample.overloadErrors}`);
      if (sample.committedLag === 0) break;
      if (t >= capSeconds) {
        capped = true;
        break;
      }
    }
  } finally {
    await shutdown();
  }
  const dlqRecords = (await admin.fetchTopicOffsets(dlq)).reduce((s, p) => s + Number(p.high), 0);
  await admin.disconnect();
  const last = samples[samples.length - 1]!;
  const eventsDrained = backlog.events - last.committedLag;
  return {
    run,
    concurrency,
    eventsDrained,
    seconds: last.t,
    eventsPerSec: Math.round(eventsDrained / last.t),
    rowsPerSec: Math.round(last.rowsWritten / last.t),
    overloadErrors: last.overloadErrors,
    dlq: dlqRecords,
    capped,
    samples,
  };
}

export interface OverloadResult {
  events: number;
  probe: ProbeRun[];
  sweep: Omit<DrainRun, 'samples'>[];
  best: { concurrency: number; rowsPerSec: number };
  catchUp: Omit<DrainRun, 'samples'> & { rows: number; failedRecords: number; limitPercentiles: { p10: number; p50: number; p90: number; max: number } };
  ratio: number;
  folder: string;
}

function writeFolder(result: Omit<OverloadResult, 'folder'>, catchUp: DrainRun, sweep: DrainRun[]): string {
  const folder = join(process.env.BENCH_RUN_DIR ?? join(repoRoot, 'runs'), `catchup-overload-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'catchup-overload.json'), JSON.stringify({ ...result, samples: { catchUp: catchUp.samples, sweep: Object.fromEntries(sweep.map((r) => [r.run, r.samples])) } }, null, 2));
  const rate = (s: DrainSample[]) => s.map((x, i) => [x.t, i === 0 ? x.rowsWritten / x.t : (x.rowsWritten - s[i - 1]!.rowsWritten) / (x.t - s[i - 1]!.t)] as const);
  const s = catchUp.samples;
  const title = `catch-up of ${result.events.toLocaleString('en')} events against an overloading Cassandra`;
  writeFileSync(
    join(folder, 'catchup-overload-concurrency.svg'),
    lineChartSvg({
      title: `${title}: limit`,
      xLabel: 'seconds since the store started',
      yLabel: 'writes in flight allowed',
      series: [
        { name: 'adaptive limit', points: s.map((x) => [x.t, x.concurrency]) },
        { name: `best fixed (${result.best.concurrency})`, points: [[0, result.best.concurrency], [s[s.length - 1]!.t, result.best.concurrency]] },
      ],
    }),
  );
  const best = sweep.find((r) => r.concurrency === result.best.concurrency)!;
  writeFileSync(
    join(folder, 'catchup-overload-rate.svg'),
    lineChartSvg({
      title: `${title}: rows/s`,
      xLabel: 'seconds since the store started',
      yLabel: 'position rows/s',
      series: [
        { name: 'adaptive', points: rate(s) },
        { name: `fixed ${best.concurrency} (best)`, points: rate(best.samples) },
        { name: 'fixed 64', points: rate(sweep.find((r) => r.concurrency === 64)?.samples ?? []) },
      ],
    }),
  );
  writeFileSync(
    join(folder, 'catchup-overload-sweep.svg'),
    lineChartSvg({
      title: 'fixed-concurrency sweep vs adaptive: position rows/s (flat line: adaptive)',
      xLabel: 'fixed concurrency',
      yLabel: 'rows/s',
      series: [
        { name: 'fixed', points: sweep.map((r) => [r.concurrency!, r.rowsPerSec]) },
        { name: 'overload errors / 10', points: sweep.map((r) => [r.concurrency!, r.overloadErrors / 10]) },
        { name: 'adaptive', points: [[0, catchUp.rowsPerSec], [64, catchUp.rowsPerSec]] },
      ],
    }),
  );
  return folder;
}

/** `fn` again (up to 5 times, 1 s apart) while it fails retryably: this Cassandra times out migrations too. */
async function retried<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= 5 || !isRetryable(err)) throw err;
      await sleep(1_000);
    }
  }
}

const withoutSamples = ({ samples: _, ...r }: DrainRun): Omit<DrainRun, 'samples'> => r;

/**
 * Runs probe, sweep and catch-up (see the file comment) on one backlog of `events` events and
 * returns the measures `catchup-vs-best-fixed-concurrency` (goal 0.9) and `catchup-failed-records`
 * (goal 0).
 */
export async function benchCatchUpOverload(events: number, o: { sweep: number[]; capSeconds: number }): Promise<{ measures: BenchMeasure[]; result: OverloadResult }> {
  const client = cassandraClient();
  await client.connect();
  const sweepKeyspace = await retried(() => freshKeyspace(client));
  const catchUpKeyspace = await retried(() => freshKeyspace(client));
  try {
    const probe = [];
    for (const c of [4, 64]) probe.push(await probeOverload(client, sweepKeyspace, c, 5));
    console.error(`overload probe: ${JSON.stringify(probe)}`);
    if (!probe.some((p) => Object.keys(p.errors).length > 0)) console.error('overload probe: no errors at 64: is the devstack up with --cassandra-profile overload?');
    const input = `bench-overload-${id()}`;
    await createTopics([input]);
    await produceEvents(input, 0, events, 5_000, OVERLOAD_DEVICES);
    const backlog = { input, events };
    const sweep: DrainRun[] = [];
    const settle = async (before: string) => console.error(`${before}: Cassandra settled after ${await waitSettled(client, sweepKeyspace)} s`);
    for (const c of o.sweep) {
      await settle(`fixed-${c}`);
      const r = await drain(`fixed-${c}`, c, sweepKeyspace, backlog, o.capSeconds);
      console.error(`fixed ${c}: ${r.eventsPerSec} events/s, ${r.overloadErrors} overload errors${r.capped ? ' (capped)' : ''}`);
      sweep.push(r);
    }
    await settle('adaptive');
    const catchUp = await drain('adaptive', null, catchUpKeyspace, backlog, Math.max(600, o.capSeconds * 10));
    const rows = await countRows(catchUpKeyspace, events, OVERLOAD_DEVICES);
    const failedRecords = catchUp.dlq + (events - rows) + (events - catchUp.eventsDrained);
    const bestRun = sweep.reduce((a, b) => (b.rowsPerSec > a.rowsPerSec ? b : a));
    const limits = catchUp.samples.map((x) => x.concurrency);
    const partial = {
      events,
      probe,
      sweep: sweep.map(withoutSamples),
      best: { concurrency: bestRun.concurrency!, rowsPerSec: bestRun.rowsPerSec },
      catchUp: { ...withoutSamples(catchUp), rows, failedRecords, limitPercentiles: { p10: percentile(limits, 0.1), p50: percentile(limits, 0.5), p90: percentile(limits, 0.9), max: Math.max(...limits) } },
      ratio: Number((catchUp.rowsPerSec / bestRun.rowsPerSec).toFixed(3)),
    };
    const folder = writeFolder(partial, catchUp, sweep);
    return {
      measures: [
        { name: 'catchup-vs-best-fixed-concurrency', value: partial.ratio, unit: 'ratio', baseline: bestRun.rowsPerSec, ratio: partial.ratio, goal: 0.9 },
        { name: 'catchup-failed-records', value: failedRecords, unit: 'records', baseline: null, ratio: null, goal: 0, better: 'lower' },
      ],
      result: { ...partial, folder },
    };
  } finally {
    await dropKeyspace(client, sweepKeyspace);
    await dropKeyspace(client, catchUpKeyspace);
    await client.shutdown();
  }
}
