/**
 * The store's benches (`npm run bench`, `--quick` or BENCH_QUICK=1 for a short run):
 * 1. store-vs-bare-driver: the store's rows/s against a bare cassandra-driver run writing the same
 *    rows with the same statements (BENCH_EVENTS, default 200,000; quick 60,000), goal >= 0.9;
 * 2. catch-up: a backlog drained after the store was stopped (BENCH_CATCHUP_EVENTS or
 *    --catchup-events=N, default 1,000,000; quick 30,000), charts and samples in
 *    BENCH_RUN_DIR (default runs/)/catchup-<timestamp>/.
 * `--only=store-vs-driver` or `--only=catch-up` (BENCH_ONLY) runs one of them.
 * Prints a table and writes bench/results/store.json (bench/results/store-<only>.json with --only).
 * Needs KAFKA_BROKERS and CASSANDRA_CONTACT_POINTS.
 */
import { printMeasures, writeBenchResults, type BenchMeasure } from '@fleetstream/stream/bench-kit';
import { quick } from './bench-support.ts';
import { benchStoreVsDriver } from './store-vs-driver.ts';
import { benchCatchUp } from './catch-up.ts';

const flag = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const events = Number(process.env.BENCH_EVENTS ?? (quick ? 60_000 : 200_000));
const catchUpEvents = Number(flag('catchup-events') ?? process.env.BENCH_CATCHUP_EVENTS ?? (quick ? 30_000 : 1_000_000));
const only = flag('only') ?? process.env.BENCH_ONLY;
if (only !== undefined && only !== 'store-vs-driver' && only !== 'catch-up') {
  console.error(`--only / BENCH_ONLY: must be store-vs-driver or catch-up, got ${only}`);
  process.exit(2);
}
if (!(Number.isInteger(catchUpEvents) && catchUpEvents > 0) || !(Number.isInteger(events) && events > 0)) {
  console.error('BENCH_EVENTS, BENCH_CATCHUP_EVENTS / --catchup-events: must be integers > 0');
  process.exit(2);
}

const measures: BenchMeasure[] = [];
const extra: Record<string, unknown> = {};
let sinkBaseline: number | undefined;

if (only !== 'catch-up') {
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

if (only !== 'store-vs-driver') {
  const catchUp = await benchCatchUp(catchUpEvents, sinkBaseline);
  const c = catchUp.result;
  console.log(`\ncatch-up of ${catchUpEvents} events (charts in ${c.folder})`);
  console.log('| events | seconds | events/s | peak concurrency | overload errors | DLQ records | rows |\n|---|---|---|---|---|---|---|');
  console.log(`| ${c.events} | ${c.seconds.toFixed(1)} | ${c.eventsPerSec} | ${c.peakConcurrency} | ${c.overloadErrors} | ${c.dlqRecords} | ${c.rows} |`);
  measures.push(catchUp.measure);
  extra.catchUp = { ...c, samples: undefined, samplesIn: `${c.folder}/catchup.json` };
}

printMeasures('store', measures);
writeBenchResults(new URL(`./results/store${only ? `-${only}` : ''}.json`, import.meta.url), measures, extra);
process.exit(0);
