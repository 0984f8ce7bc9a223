/**
 * Bench: the parse stage against the libs/stream pass-through stage on the same input, in the
 * same run (goal >= 0.8 of it). BENCH_PACKETS (default 200,000) raw Codec 8 packets of one
 * record each, so records/s in = packets/s. Writes bench/results/parse.json.
 */
import { randomUUID } from 'node:crypto';
import { benchProduce, benchTopics, printMeasures, runStageBench, writeBenchResults, type BenchMeasure } from '@fleetstream/stream/bench-kit';
import { parseTransform } from '../src/transform.ts';
import { benchPacket as packet } from './bench-packets.ts';

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
const total = Number(process.env.BENCH_PACKETS ?? 200_000);
const id = () => randomUUID().slice(0, 8);
const [input, outPass, outParse] = [`bench-raw-${id()}`, `bench-pass-${id()}`, `bench-parsed-${id()}`];
await benchTopics(brokers, [input, outPass, outParse, 'telemetry.dlq'], 4);
console.error(`producing ${total} raw packets`);
await benchProduce(
  brokers,
  Array.from({ length: total }, (_, i) => ({ topic: input, key: String(356307042440000 + (i % 1000)), value: packet(i), headers: { protocol: 'teltonika-tcp', receivedAt: String(Date.now()) } })),
);
console.error('pass-through stage');
const pass = await runStageBench({ brokers, input, total, transform: (records) => ({ out: records.map((r) => ({ topic: outPass, key: r.key, value: r.value, headers: r.headers })), dead: [] }) });
console.error('parse stage');
const parse = await runStageBench({ brokers, input, total, transform: parseTransform(outParse) });
const ratio = parse.recordsPerSec / pass.recordsPerSec;
const measures: BenchMeasure[] = [
  { name: 'parse-vs-passthrough', value: Math.round(parse.recordsPerSec), unit: 'records/s', baseline: Math.round(pass.recordsPerSec), ratio: Number(ratio.toFixed(3)), goal: 0.8 },
  { name: 'parse-rss-mb', value: Math.round(parse.rssMb), unit: 'MB', baseline: Math.round(pass.rssMb), ratio: Number((parse.rssMb / pass.rssMb).toFixed(3)), goal: null },
];
printMeasures(`parse vs pass-through, ${total} packets`, measures);
writeBenchResults(new URL('./results/parse.json', import.meta.url), measures, { runs: { passthrough: pass, parse } });
process.exit(0);
