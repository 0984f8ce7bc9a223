/**
 * Catch-up run (issue 11, item 2): the store is stopped while a backlog of `events` builds in its
 * input topic, then started; every 500 ms the run samples the committed lag (admin offsets), the
 * consumer's own lag gauge, the sink concurrency, rows/s and overload errors, until the committed
 * lag is 0. It then checks that no write failed for good (DLQ empty, every event a row) and writes
 * runs/catchup-<timestamp>/catchup.json (BENCH_RUN_DIR instead of runs/ when set) with catchup-lag.svg, catchup-concurrency.svg and
 * catchup-rate.svg beside it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchMeasure } from '@fleetstream/stream/bench-kit';
import { lineChartSvg } from './chart-svg.ts';
import { dayOf } from '../src/event.ts';
import { benchEvent, cassandraClient, committedLag, createTopics, dropKeyspace, freshKeyspace, id, kafka, metricSum, produceEvents, sleep, startStore } from './bench-support.ts';

/** One sample of the catch-up. */
export interface CatchUpSample {
  /** Seconds since the store started. */
  t: number;
  /** Records not yet committed by the group (topic end - committed offset, summed). */
  committedLag: number;
  /** fleetstream_consumer_lag summed over partitions (the consumer's view at its last fetch). */
  consumerLag: number;
  concurrency: number;
  /** Position rows written per second since the previous sample. */
  rowsPerSec: number;
  rowsWritten: number;
  overloadErrors: number;
  dlq: number;
  rssMb: number;
}

export interface CatchUpResult {
  events: number;
  seconds: number;
  eventsPerSec: number;
  peakConcurrency: number;
  overloadErrors: number;
  dlqRecords: number;
  rows: number;
  folder: string;
  samples: CatchUpSample[];
}

const WARMUP = 1_000;
const SAMPLE_MS = 500;
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** Counts the position rows of the first `total` bench events, partition by partition. */
export async function countRows(keyspace: string, total: number, devices?: number): Promise<number> {
  const client = cassandraClient();
  await client.connect();
  try {
    const partitions = new Set<string>();
    for (let i = 0; i < total; i++) {
      const e = benchEvent(i, devices);
      partitions.add(`${e.deviceId}|${dayOf(e.event.eventTime as number)}`);
    }
    let rows = 0;
    const keys = [...partitions];
    for (let i = 0; i < keys.length; i += 32) {
      const counts = await Promise.all(
        keys.slice(i, i + 32).map(async (k) => {
          const [deviceId, day] = k.split('|');
          const rs = await client.execute(`SELECT COUNT(*) AS n FROM ${keyspace}.positions_by_device_day WHERE device_id = ? AND day = ?`, [deviceId, day], { prepare: true, readTimeout: 30_000 });
          return Number(rs.first().n);
        }),
      );
      rows += counts.reduce((a, b) => a + b, 0);
    }
    return rows;
  } finally {
    await client.shutdown();
  }
}

function writeRunFolder(result: Omit<CatchUpResult, 'folder'>): string {
  const folder = join(process.env.BENCH_RUN_DIR ?? join(repoRoot, 'runs'), `catchup-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  mkdirSync(folder, { recursive: true });
  const s = result.samples;
  writeFileSync(join(folder, 'catchup.json'), JSON.stringify(result, null, 2));
  const title = `catch-up of ${result.events.toLocaleString('en')} events`;
  writeFileSync(
    join(folder, 'catchup-lag.svg'),
    lineChartSvg({
      title: `${title}: lag`,
      xLabel: 'seconds since the store started',
      yLabel: 'records',
      series: [
        { name: 'committed lag', points: s.map((x) => [x.t, x.committedLag]) },
        { name: 'consumer lag (metric)', points: s.map((x) => [x.t, x.consumerLag]) },
      ],
    }),
  );
  writeFileSync(
    join(folder, 'catchup-concurrency.svg'),
    lineChartSvg({
      title: `${title}: sink concurrency and overload errors`,
      xLabel: 'seconds since the store started',
      yLabel: 'writes in flight allowed / errors',
      series: [
        { name: 'sink concurrency', points: s.map((x) => [x.t, x.concurrency]) },
        { name: 'overload errors (total)', points: s.map((x) => [x.t, x.overloadErrors]) },
      ],
    }),
  );
  writeFileSync(
    join(folder, 'catchup-rate.svg'),
    lineChartSvg({ title: `${title}: write rate`, xLabel: 'seconds since the store started', yLabel: 'rows/s', series: [{ name: 'rows/s', points: s.map((x) => [x.t, x.rowsPerSec]) }] }),
  );
  return folder;
}

/**
 * Runs the catch-up of `events` events and returns its measure `catchup-events-per-s` (against
 * `sinkBaseline`, the bare driver's rate of the same run, when given). Throws when a write failed
 * for good (a DLQ record or a missing row).
 */
export async function benchCatchUp(events: number, sinkBaseline?: number): Promise<{ measure: BenchMeasure; result: CatchUpResult }> {
  const client = cassandraClient();
  await client.connect();
  const keyspace = await freshKeyspace(client);
  const [input, dlqTopic, group] = [`bench-catchup-${id()}`, `bench-catchup-dlq-${id()}`, `store-catchup-${id()}`];
  await createTopics([input]);
  await createTopics([dlqTopic], 1);
  const admin = kafka.admin();
  await admin.connect();
  const env = { keyspace, input, dlq: dlqTopic, group };
  try {
    // The store runs, commits a first thousand events and stops: a group with offsets, then a backlog.
    const first = await startStore(env);
    await produceEvents(input, 0, WARMUP);
    while ((await committedLag(admin, group, input)) > 0) await sleep(200);
    await first.shutdown();
    console.error(`catch-up: store stopped; producing a backlog of ${events} events`);
    const p0 = performance.now();
    await produceEvents(input, WARMUP, WARMUP + events);
    console.error(`catch-up: backlog produced in ${((performance.now() - p0) / 1000).toFixed(1)} s; starting the store`);

    const t0 = performance.now();
    const { deps, shutdown } = await startStore(env);
    const samples: CatchUpSample[] = [];
    let prevRows = await metricSum(deps.registry, 'fleetstream_store_rows_written_total');
    let prevT = 0;
    try {
      for (;;) {
        await sleep(SAMPLE_MS);
        const t = (performance.now() - t0) / 1000;
        const rowsWritten = await metricSum(deps.registry, 'fleetstream_store_rows_written_total');
        const sample: CatchUpSample = {
          t: Number(t.toFixed(2)),
          committedLag: await committedLag(admin, group, input),
          consumerLag: await metricSum(deps.registry, 'fleetstream_consumer_lag'),
          concurrency: await metricSum(deps.registry, 'fleetstream_sink_concurrency'),
          rowsPerSec: Math.round((rowsWritten - prevRows) / (t - prevT)),
          rowsWritten,
          overloadErrors: await metricSum(deps.registry, 'fleetstream_store_overload_errors_total'),
          dlq: await metricSum(deps.registry, 'fleetstream_dlq_total'),
          rssMb: Math.round(process.memoryUsage().rss / 1048576),
        };
        samples.push(sample);
        [prevRows, prevT] = [rowsWritten, t];
        if (samples.length % 10 === 0) console.error(`catch-up: t=${sample.t}s lag=${sample.committedLag} concurrency=${sample.concurrency} rows/s=${sample.rowsPerSec}`);
        if (sample.committedLag === 0) break;
      }
    } finally {
      await shutdown();
    }
    const seconds = samples[samples.length - 1]!.t;
    const dlqRecords = (await admin.fetchTopicOffsets(dlqTopic)).reduce((s, p) => s + Number(p.high), 0);
    const rows = await countRows(keyspace, WARMUP + events);
    const last = samples[samples.length - 1]!;
    const partial = {
      events,
      seconds,
      eventsPerSec: Math.round(events / seconds),
      peakConcurrency: Math.max(...samples.map((s) => s.concurrency)),
      overloadErrors: last.overloadErrors,
      dlqRecords,
      rows,
      samples,
    };
    const folder = writeRunFolder(partial);
    console.error(`catch-up: written to ${folder}`);
    if (dlqRecords !== 0 || last.dlq !== 0) throw new Error(`catch-up: ${dlqRecords} DLQ records (expected none: every bench event is valid)`);
    if (rows !== WARMUP + events) throw new Error(`catch-up: ${rows} rows for ${WARMUP + events} distinct events`);
    const value = partial.eventsPerSec;
    return {
      measure: {
        name: 'catchup-events-per-s',
        value,
        unit: 'events/s',
        baseline: sinkBaseline === undefined ? null : Math.round(sinkBaseline),
        ratio: sinkBaseline === undefined ? null : Number((value / sinkBaseline).toFixed(3)),
        goal: null,
      },
      result: { ...partial, folder },
    };
  } finally {
    await admin.disconnect();
    await dropKeyspace(client, keyspace);
    await client.shutdown();
  }
}
