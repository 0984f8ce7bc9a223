/**
 * The store's benches (`npm run bench`, `--quick` or BENCH_QUICK=1 for a short run):
 * 1. store-vs-bare-driver: the store's rows/s against a bare cassandra-driver run writing the same
 *    rows with the same statements (BENCH_EVENTS, default 200,000; quick 60,000), goal >= 0.9;
 * 2. catch-up: a backlog drained after the store was stopped (BENCH_CATCHUP_EVENTS or
 *    --catchup-events=N, default 1,000,000; quick 30,000), charts and samples in
 *    BENCH_RUN_DIR (default runs/)/catchup-<timestamp>/.
 * 3. catch-up-overload (only with `--only=catch-up-overload`: it needs the devstack started with
 *    `--cassandra-profile overload`): a fixed-concurrency sweep and the adaptive catch-up on one
 *    backlog (BENCH_OVERLOAD_EVENTS, default 40,000; quick 12,000), see catch-up-overload.ts;
 *    BENCH_OVERLOAD_REPEATS (default 1) repeats it and reports the spread of the ratio.
 * 4. cassandra-cost: Cassandra's own CPU per event of the store's statements, saturated and paced
 *    (see cassandra-cost.ts).
 * `--only=store-vs-driver`, `--only=catch-up` or `--only=cassandra-cost` (BENCH_ONLY) runs one of them.
 * Prints a table and writes bench/results/store.json (bench/results/store-<only>.json with --only).
 * Needs KAFKA_BROKERS and CASSANDRA_CONTACT_POINTS.
 */
import { printMeasures, writeBenchResults, type BenchMeasure } from '@fleetstream/stream/bench-kit';
import { quick } from './bench-support.ts';
import { benchStoreVsDriver } from './store-vs-driver.ts';
import { benchCatchUp } from './catch-up.ts';
import { benchCatchUpOverload, type OverloadResult } from './catch-up-overload.ts';
import { benchCassandraCost } from './cassandra-cost.ts';

const flag = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const events = Number(process.env.BENCH_EVENTS ?? (quick ? 60_000 : 200_000));
const catchUpEvents = Number(flag('catchup-events') ?? process.env.BENCH_CATCHUP_EVENTS ?? (quick ? 30_000 : 1_000_000));
const only = flag('only') ?? process.env.BENCH_ONLY;
if (only !== undefined && only !== 'store-vs-driver' && only !== 'catch-up' && only !== 'catch-up-overload' && only !== 'cassandra-cost') {
  console.error(`--only / BENCH_ONLY: must be store-vs-driver, catch-up, catch-up-overload or cassandra-cost, got ${only}`);
  process.exit(2);
}
if (!(Number.isInteger(catchUpEvents) && catchUpEvents > 0) || !(Number.isInteger(events) && events > 0)) {
  console.error('BENCH_EVENTS, BENCH_CATCHUP_EVENTS / --catchup-events: must be integers > 0');
  process.exit(2);
}

const measures: BenchMeasure[] = [];
const extra: Record<string, unknown> = {};
let sinkBaseline: number | undefined;

if (only === 'catch-up-overload') {
  const overloadEvents = Number(process.env.BENCH_OVERLOAD_EVENTS ?? (quick ? 12_000 : 40_000));
  const repeats = Number(process.env.BENCH_OVERLOAD_REPEATS ?? 1);
  const sweep = quick ? [2, 4, 8, 16, 64] : [1, 2, 4, 8, 16, 32, 64];
  const results: OverloadResult[] = [];
  for (let i = 0; i < repeats; i++) {
    const { measures: m, result: r } = await benchCatchUpOverload(overloadEvents, { sweep, capSeconds: quick ? 25 : 90 });
    results.push(r);
    console.log(`\ncatch-up against an overloading Cassandra, ${overloadEvents} events, run ${i + 1} of ${repeats} (charts in ${r.folder})`);
    console.log(`probe (bare driver, 16-row batches): ${r.probe.map((p) => `${p.concurrency} at once: ${p.okPerSec} writes/s, errors ${JSON.stringify(p.errors)}`).join('; ')}`);
    console.log('| run | events/s | rows/s | seconds | events drained | overload errors (retried) | DLQ |\n|---|---|---|---|---|---|---|');
    for (const x of [...r.sweep, r.catchUp]) console.log(`| ${x.run} | ${x.eventsPerSec} | ${x.rowsPerSec} | ${x.seconds.toFixed(1)}${x.capped ? ' (cap)' : ''} | ${x.eventsDrained} | ${x.overloadErrors} | ${x.dlq} |`);
    const l = r.catchUp.limitPercentiles;
    console.log(`adaptive limit p10/p50/p90/max: ${l.p10}/${l.p50}/${l.p90}/${l.max}; rows ${r.catchUp.rows} of ${overloadEvents}; failed records ${r.catchUp.failedRecords}; ratio to best fixed (${r.best.concurrency}): ${r.ratio}`);
    if (i === repeats - 1) measures.push(...m);
  }
  const ratios = results.map((r) => r.ratio);
  // With repeats, the reported ratio is the median run's and the failures the sum over runs.
  measures[0]!.value = measures[0]!.ratio = [...ratios].sort((a, b) => a - b)[Math.floor((ratios.length - 1) / 2)]!;
  measures[1]!.value = results.reduce((s, r) => s + r.catchUp.failedRecords, 0);
  extra.catchUpOverload = { ratios, runs: results };
}

if (only === undefined || only === 'store-vs-driver') {
  const vs = await benchStoreVsDriver(events);
  console.log(`\nstore vs bare cassandra-driver, ${events} events`);
  console.log('| run | events/s | seconds | concurrency | calls in flight (mean) | call latency (mean ms) | host CPU busy | bench process CPU | errors (retried) |\n|---|---|---|---|---|---|---|---|---|');
  for (const r of vs.runs) {
    console.log(
      `| ${r.run} | ${r.eventsPerSec.toFixed(0)} | ${r.seconds.toFixed(1)} | ${r.concurrency} | ${r.meanInFlight.toFixed(1)} | ${r.meanLatencyMs.toFixed(1)} | ${r.cpu.hostBusyPct}% of ${r.cpu.cores} cores | ${r.cpu.benchPct}% of a core | ${r.errors} |`,
    );
  }
  measures.push(vs.measure);
  extra.runs = vs.runs;
  sinkBaseline = vs.runs[0]!.eventsPerSec;
}

if (only === undefined || only === 'catch-up') {
  const catchUp = await benchCatchUp(catchUpEvents, sinkBaseline);
  const c = catchUp.result;
  console.log(`\ncatch-up of ${catchUpEvents} events (charts in ${c.folder})`);
  console.log('| events | seconds | events/s | peak concurrency | overload errors | DLQ records | rows |\n|---|---|---|---|---|---|---|');
  console.log(`| ${c.events} | ${c.seconds.toFixed(1)} | ${c.eventsPerSec} | ${c.peakConcurrency} | ${c.overloadErrors} | ${c.dlqRecords} | ${c.rows} |`);
  measures.push(catchUp.measure);
  extra.catchUp = { ...c, samples: undefined, samplesIn: `${c.folder}/catchup.json` };
}

if (only === undefined || only === 'cassandra-cost') {
  const cost = await benchCassandraCost();
  measures.push(...cost.measures);
  extra.cassandraCost = cost.extra;
}

printMeasures('store', measures);
writeBenchResults(new URL(`./results/store${only ? `-${only}` : ''}.json`, import.meta.url), measures, extra);
process.exit(0);
