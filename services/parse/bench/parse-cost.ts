/**
 * Bench (issue #21 point 5): parse's cost per record and its throughput with two processes, as a
 * deployment runs it. The input topic is filled once with BENCH_PARSE_RECORDS (default 400,000)
 * raw Codec 8 packets of one AVL record each; then each variant runs as child processes (`node
 * src/index.ts`, the real service with its defaults) from the start of the topic with a fresh
 * group and a fresh output topic, 1 process then 2:
 *   - bare-kafkajs: kafkajs alone copying the same bytes (bench/bare-passthrough.ts), the baseline;
 *   - parse (KAFKA_CLIENT=kafkajs) and parse-platformatic (KAFKA_CLIENT=platformatic).
 * From the first output record to the last, it reads the children's CPU (user + sys, from
 * /proc/<pid>/stat) and the output topic's end offsets: records/CPU-second and records/s.
 * BENCH_REPEATS (default 1) runs of each; the table shows the median and the spread (min–max).
 * BENCH_CPU_PROF=<dir> starts the children with --cpu-prof into that folder; BENCH_PARSE_ENV
 * (`NAME=value,…`) adds variables to the parse processes and BENCH_NODE_FLAGS (space-separated)
 * node flags to every child (to compare settings); BENCH_BASE_DIR=<another checkout> adds the variants
 * parse-base and parse-base-platformatic: that checkout's parse (to compare a change with its base
 * in the same run, e.g. BENCH_VARIANTS=parse-base,parse).
 * Writes bench/results/parse-cost.json.
 */
import { randomUUID } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { benchProduce, benchTopics, writeBenchResults, printMeasures, type BenchMeasure } from '@fleetstream/stream/bench-kit';
import { createKafkajsClient } from '@fleetstream/stream';
import { benchPacket } from './bench-packets.ts';

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
const quick = process.env.BENCH_QUICK === '1';
const total = Number(process.env.BENCH_PARSE_RECORDS ?? (quick ? 100_000 : 400_000));
const repeats = Number(process.env.BENCH_REPEATS ?? 1);
const partitions = Number(process.env.BENCH_PARTITIONS ?? 12);
const variants = (process.env.BENCH_VARIANTS ?? 'bare-kafkajs,parse,parse-platformatic').split(',');
const processCounts = (process.env.BENCH_PROCESSES ?? '1,2').split(',').map(Number);
const cpuProf = process.env.BENCH_CPU_PROF;
const extraEnv = Object.fromEntries((process.env.BENCH_PARSE_ENV ?? '').split(',').filter(Boolean).map((kv) => kv.split('=') as [string, string]));
const nodeFlags = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
const id = () => randomUUID().slice(0, 8);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const entries: Record<string, { entry: string; env: Record<string, string> }> = {
  'bare-kafkajs': { entry: fileURLToPath(new URL('./bare-passthrough.ts', import.meta.url)), env: {} },
  parse: { entry: fileURLToPath(new URL('../src/index.ts', import.meta.url)), env: { ...extraEnv, KAFKA_CLIENT: 'kafkajs' } },
  'parse-platformatic': { entry: fileURLToPath(new URL('../src/index.ts', import.meta.url)), env: { ...extraEnv, KAFKA_CLIENT: 'platformatic' } },
};
// BENCH_BASE_DIR=<another checkout, with its own node_modules>: its parse as the variant parse-base
// (and parse-base-platformatic), to compare a change with its base in the same run.
if (process.env.BENCH_BASE_DIR) {
  const entry = `${process.env.BENCH_BASE_DIR}/services/parse/src/index.ts`;
  entries['parse-base'] = { entry, env: { ...extraEnv, KAFKA_CLIENT: 'kafkajs' } };
  entries['parse-base-platformatic'] = { entry, env: { ...extraEnv, KAFKA_CLIENT: 'platformatic' } };
}

/** CPU-seconds (utime + stime, USER_HZ 100) of a live process; undefined once it is gone. */
function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

const admin = createKafkajsClient({ brokers, clientId: 'parse-cost-bench' }).admin();
await admin.connect();
const outputCount = async (topic: string) => (await admin.fetchTopicOffsets(topic)).reduce((s, p) => s + Number(p.high), 0);

interface Run {
  variant: string;
  processes: number;
  records: number;
  cpuSeconds: number;
  seconds: number;
  recordsPerCpuSecond: number;
  recordsPerSecond: number;
}

async function runOnce(input: string, variant: string, processes: number): Promise<Run> {
  const output = `bench-parse-cost-out-${id()}`;
  await benchTopics(brokers, [output], partitions);
  const { entry, env } = entries[variant]!;
  // One group for all the processes of a run.
  const group = `bench-parse-cost-${id()}`;
  const children: ChildProcess[] = [];
  for (let i = 0; i < processes; i++) {
    const prof = cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${cpuProf}`, `--cpu-prof-name=${variant}-${processes}p-${i}-${id()}.cpuprofile`] : [];
    const args = [...nodeFlags, ...prof, entry];
    children.push(
      spawn(process.execPath, args, {
        env: { PATH: process.env.PATH, KAFKA_BROKERS: brokers.join(','), HEALTH_PORT: '0', LOG_LEVEL: 'warn', INPUT_TOPIC: input, OUTPUT_TOPIC: output, DLQ_TOPIC: 'telemetry.dlq', CONSUMER_GROUP: group, ...env },
        stdio: ['ignore', 'ignore', 'inherit'],
      }),
    );
  }
  const cpu = () => children.reduce((s, c) => s + (cpuSeconds(c.pid!) ?? Number.NaN), 0);
  const deadline = Date.now() + 600_000;
  let start: { at: number; cpu: number; out: number } | undefined;
  let end: { at: number; cpu: number; out: number } | undefined;
  while (Date.now() < deadline) {
    const out = await outputCount(output);
    const now = { at: performance.now(), cpu: cpu(), out };
    if (!start && out > 0) start = now;
    if (out >= total) {
      end = now;
      break;
    }
    await sleep(100);
  }
  const exits = children.map((c) => new Promise<void>((r) => (c.exitCode !== null ? r() : c.once('exit', () => r()))));
  for (const c of children) c.kill('SIGTERM');
  await Promise.race([Promise.all(exits), sleep(30_000)]);
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await admin.deleteTopics([output]).catch(() => undefined);
  if (!start || !end) throw new Error(`${variant} x${processes}: not all ${total} outputs arrived in time`);
  const records = end.out - start.out;
  const cpuUsed = end.cpu - start.cpu;
  const seconds = (end.at - start.at) / 1000;
  return { variant, processes, records, cpuSeconds: cpuUsed, seconds, recordsPerCpuSecond: records / cpuUsed, recordsPerSecond: records / seconds };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const input = `bench-parse-cost-raw-${id()}`;
await benchTopics(brokers, [input, 'telemetry.dlq'], partitions);
console.error(`producing ${total} raw packets to ${input} (${partitions} partitions)`);
const receivedAt = String(Date.now());
await benchProduce(
  brokers,
  Array.from({ length: total }, (_, i) => ({ topic: input, key: String(356307042440000 + (i % 1000)), value: benchPacket(i), headers: { protocol: 'teltonika-tcp', receivedAt } })),
);

const runs: Run[] = [];
for (let r = 0; r < repeats; r++) {
  for (const processes of processCounts) {
    for (const variant of variants) {
      const run = await runOnce(input, variant, processes);
      runs.push(run);
      console.error(`${variant} x${processes}: ${Math.round(run.recordsPerCpuSecond)} records/cpu-s, ${Math.round(run.recordsPerSecond)} records/s (${run.cpuSeconds.toFixed(2)} cpu-s, ${run.seconds.toFixed(2)} s)`);
    }
  }
}
await admin.deleteTopics([input]).catch(() => undefined);
await admin.disconnect();

const stats = (variant: string, processes: number, key: 'recordsPerCpuSecond' | 'recordsPerSecond') => {
  const xs = runs.filter((r) => r.variant === variant && r.processes === processes).map((r) => r[key]);
  return xs.length === 0 ? undefined : { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) };
};

console.log(`\nparse cost, ${total} records, ${partitions} partitions, ${repeats} run(s) each: median (min–max)`);
console.log('| variant | processes | records/cpu-s | records/s |\n|---|---|---|---|');
for (const processes of processCounts) {
  for (const variant of variants) {
    const c = stats(variant, processes, 'recordsPerCpuSecond');
    const t = stats(variant, processes, 'recordsPerSecond');
    if (!c || !t) continue;
    const f = (s: { median: number; min: number; max: number }) => `${Math.round(s.median)} (${Math.round(s.min)}–${Math.round(s.max)})`;
    console.log(`| ${variant} | ${processes} | ${f(c)} | ${f(t)} |`);
  }
}

// The goals (issue #21: what Flink 1.20 does on the same broker and input) are floors on the value;
// the bare client's figure is the baseline beside it.
const measures: BenchMeasure[] = [];
for (const [suffix, variant] of [['', 'parse'], ['-platformatic', 'parse-platformatic']] as const) {
  const perCpu = stats(variant, 1, 'recordsPerCpuSecond');
  const bareCpu = stats('bare-kafkajs', 1, 'recordsPerCpuSecond');
  if (perCpu) {
    measures.push({ name: `parse-records-per-cpu-s${suffix}`, value: Math.round(perCpu.median), unit: 'records/cpu-s', baseline: bareCpu ? Math.round(bareCpu.median) : null, ratio: bareCpu ? Number((perCpu.median / bareCpu.median).toFixed(3)) : null, goal: 85_000, goalOn: 'value' });
  }
  const two = stats(variant, 2, 'recordsPerSecond');
  const bareTwo = stats('bare-kafkajs', 2, 'recordsPerSecond');
  if (two) {
    measures.push({ name: `parse-2-processes-records-per-s${suffix}`, value: Math.round(two.median), unit: 'records/s', baseline: bareTwo ? Math.round(bareTwo.median) : null, ratio: bareTwo ? Number((two.median / bareTwo.median).toFixed(3)) : null, goal: 126_000, goalOn: 'value' });
  }
}
printMeasures(`parse cost (goals: Flink 1.20 on the same input)`, measures);
writeBenchResults(new URL('./results/parse-cost.json', import.meta.url), measures, { total, partitions, repeats, runs });
process.exit(0);
