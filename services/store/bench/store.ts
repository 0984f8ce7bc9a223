/**
 * The store's benches (`npm run bench`, `--quick` or BENCH_QUICK=1 for a short run):
 * 1. store-vs-bare-driver: the store's rows/s against a bare cassandra-driver run writing the same
 *    rows with the same statements (BENCH_EVENTS, default 200,000; quick 50,000), goal >= 0.9;
 * 2. catch-up: a backlog drained after the store was stopped (BENCH_CATCHUP_EVENTS, default
 *    1,000,000; quick 100,000), charts and samples in runs/catchup-<timestamp>/.
 * Prints a table and writes bench/results/store.json. Needs KAFKA_BROKERS and CASSANDRA_CONTACT_POINTS.
 */
import { printMeasures, writeBenchResults } from '@fleetstream/stream';
import { quick } from './bench-support.ts';
import { benchStoreVsDriver } from './store-vs-driver.ts';
import { benchCatchUp } from './catch-up.ts';

const events = Number(process.env.BENCH_EVENTS ?? (quick ? 20_000 : 200_000));
const catchUpEvents = Number(process.env.BENCH_CATCHUP_EVENTS ?? (quick ? 30_000 : 1_000_000));

const vs = await benchStoreVsDriver(events);
console.log(`\nstore vs bare cassandra-driver, ${events} events`);
console.log('| run | events/s | seconds | concurrency | errors (retried) |\n|---|---|---|---|---|');
for (const r of vs.runs) console.log(`| ${r.run} | ${r.eventsPerSec.toFixed(0)} | ${r.seconds.toFixed(1)} | ${r.concurrency} | ${r.errors} |`);

const catchUp = await benchCatchUp(catchUpEvents, vs.runs[0]!.eventsPerSec);
const c = catchUp.result;
console.log(`\ncatch-up of ${catchUpEvents} events (charts in ${c.folder})`);
console.log('| events | seconds | events/s | peak concurrency | overload errors | DLQ records | rows |\n|---|---|---|---|---|---|---|');
console.log(`| ${c.events} | ${c.seconds.toFixed(1)} | ${c.eventsPerSec} | ${c.peakConcurrency} | ${c.overloadErrors} | ${c.dlqRecords} | ${c.rows} |`);

const measures = [vs.measure, catchUp.measure];
printMeasures('store', measures);
writeBenchResults(new URL('./results/store.json', import.meta.url), measures, {
  runs: vs.runs,
  catchUp: { ...c, samples: undefined, samplesIn: `${c.folder}/catchup.json` },
});
process.exit(0);
