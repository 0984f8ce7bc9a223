/**
 * Bench: what Cassandra itself spends per event the store writes (its process's CPU, from
 * /proc/<pid>/stat), to tell the pipeline's cost per event from the database's. The store's own
 * statements (positionStatements: a positions row and the device's asset_latest_state upsert per
 * event, device_days already fresh, devices packed into unlogged batches) for events of 2,000
 * devices, chunks of 8, written by the bare driver:
 *   - saturated: 16 writes in flight as fast as Cassandra answers; the whole statement set, and
 *     the positions rows alone and the latest-state rows alone (which part costs what);
 *   - paced: BENCH_PACED_RATE events/s (default 500) on a fixed schedule, as the pipeline offers
 *     them, chunks of 1 and of 10; CPU above Cassandra's idle use (measured first), and the
 *     writes' latency;
 *   - baseline: a minimal row (key, clustering, one value) in the same batches: Cassandra's floor.
 * The devstack's Cassandra (its pid from the devstack's state). Run by bench/store.ts (4th, or
 * `--only=cassandra-cost`).
 */
import { readFileSync } from 'node:fs';
import { status } from '@fleetstream/devstack';
import { printMeasures, type BenchMeasure } from '@fleetstream/stream/bench-kit';
import type { CqlCall } from '@fleetstream/stream';
import { positionStatements, WrittenDays } from '../src/position-writer.ts';
import type { StoredEvent } from '../src/event.ts';
import { cassandraClient, dropKeyspace, freshKeyspace, quick, sleep } from './bench-support.ts';

const DEVICES = 2_000;
const IN_FLIGHT = 16;
const saturatedEvents = Number(process.env.BENCH_COST_EVENTS ?? (quick ? 15_000 : 40_000));
const pacedRate = Number(process.env.BENCH_PACED_RATE ?? 500);
const pacedSeconds = quick ? 10 : 20;

let pid = 0;

/** Cassandra's CPU-seconds so far (utime + stime, USER_HZ 100). */
function cpu(): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

const base = Date.UTC(2026, 11, 8);
let serial = 0;
/** An enriched event as the pipeline's simulator produces them (every field set, tags included). */
function event(): StoredEvent {
  const i = serial++;
  return {
    schemaVersion: 2,
    eventId: `cost-${i}`,
    deviceId: `dev-${i % DEVICES}`,
    eventTime: base + i,
    receivedAt: base + i + 40,
    priority: 1,
    eventIoId: 0,
    position: {
      lat: 52.1 + (i % 1000) * 1e-6,
      lon: 4.3,
      altitude: 12,
      heading: 90,
      speed: 30,
      satellites: 9,
    },
    ignition: true,
    movement: true,
    externalVoltage: 24.1,
    batteryVoltage: 4.1,
    engineHours: 1234.5,
    odometer: 99_999,
    fuelLevel: 55,
    io: { '239': 1, '240': 1, '66': 24_100 },
    asset: {
      assetId: `asset-${i % DEVICES}`,
      customerId: 'c1',
      model: 'CAT 320',
      owner: 'acme',
      tags: ['crane', 'north'],
    },
    enrichment: 'ok',
  } as unknown as StoredEvent;
}

type Variant = 'store' | 'positions' | 'latest' | 'minimal';
const client = cassandraClient();
let keyspace = '';
const days = new WrittenDays();
let statements: (events: StoredEvent[]) => CqlCall[] = () => [];
let minimal = '';
/** The calls that write `events` in a variant (the store's statements, one table of them, or the minimal row). */
function callsOf(variant: Variant, events: StoredEvent[]): CqlCall[] {
  if (variant === 'minimal')
    return [
      {
        batch: events.map((e) => ({ query: minimal, params: [e.deviceId, e.eventId] })),
        rows: events.length,
      },
    ];
  const calls = statements(events);
  if (variant === 'store') return calls;
  const table = variant === 'positions' ? 'positions_by_device_day' : 'asset_latest_state';
  return calls
    .map((c) =>
      'batch' in c ? { batch: c.batch.filter((s) => s.query.includes(table)), rows: c.rows } : c,
    )
    .filter((c) => ('batch' in c ? c.batch.length > 0 : c.statement.query.includes(table)));
}

const write = (call: CqlCall) =>
  'batch' in call
    ? client.batch(call.batch, { prepare: true, logged: false })
    : client.execute(call.statement.query, call.statement.params, { prepare: true });

/** Writes `n` events in chunks of `chunk`, IN_FLIGHT chunks at once: Cassandra's ms of CPU per event. */
async function saturated(variant: Variant, n: number, chunk = 8): Promise<number> {
  let left = n;
  const c0 = cpu();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (left > 0) {
        const events = Array.from({ length: Math.min(chunk, left) }, event);
        left -= events.length;
        for (const call of callsOf(variant, events)) await write(call);
      }
    }),
  );
  return ((cpu() - c0) * 1000) / n;
}

/** `rate` events/s on a 5-ms schedule in chunks of `chunk`: Cassandra's ms of CPU per event above its idle use, and write latency. */
async function paced(
  rate: number,
  seconds: number,
  chunk: number,
): Promise<{ msPerEvent: number; p50: number; p99: number }> {
  const i0 = cpu();
  await sleep(5_000);
  const idlePerSec = (cpu() - i0) / 5;
  const n = rate * seconds;
  const latencies: number[] = [];
  const pending = new Set<Promise<unknown>>();
  const c0 = cpu();
  const t0 = performance.now();
  let sent = 0;
  while (sent < n) {
    const due = Math.min(n, Math.floor(((performance.now() - t0) / 1000) * rate));
    while (sent < due) {
      const events = Array.from({ length: Math.min(chunk, due - sent) }, event);
      sent += events.length;
      for (const call of callsOf('store', events)) {
        const at = performance.now();
        const p = write(call).then(() => latencies.push(performance.now() - at));
        pending.add(p);
        void p.finally(() => pending.delete(p));
      }
    }
    await sleep(5);
  }
  await Promise.all(pending);
  const elapsed = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    Math.round(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))]! * 10) /
    10;
  return {
    msPerEvent: ((cpu() - c0 - idlePerSec * elapsed) * 1000) / n,
    p50: at(0.5),
    p99: at(0.99),
  };
}

/** The measures (and the run's facts for the results file). */
export async function benchCassandraCost(): Promise<{
  measures: BenchMeasure[];
  extra: Record<string, unknown>;
}> {
  const st = status();
  if (st.status !== 'up')
    throw new Error(
      `the devstack is not up (${st.status}): the bench reads its Cassandra's CPU (node tools/devstack/src/cli.ts up)`,
    );
  pid = st.state.cassandra.pid;
  await client.connect();
  keyspace = await freshKeyspace(client);
  statements = positionStatements(keyspace, 16, days);
  minimal = `INSERT INTO ${keyspace}.device_days (device_id, day) VALUES (?, ?)`;
  try {
    // Every device's day row is fresh, as in a running store (it writes one per device and day).
    const warm = Array.from({ length: DEVICES }, event);
    days.written(warm);
    process.stderr.write(
      `[cassandra-cost] Cassandra pid ${pid}, keyspace ${keyspace}; warming up\n`,
    );
    await saturated('store', Math.min(20_000, saturatedEvents));
    const r = (x: number) => Math.round(x * 1000) / 1000;
    const minimalMs = r(await saturated('minimal', saturatedEvents));
    const storeMs = r(await saturated('store', saturatedEvents));
    const positionsMs = r(await saturated('positions', saturatedEvents));
    const latestMs = r(await saturated('latest', saturatedEvents));
    const one = await paced(pacedRate, pacedSeconds, 1);
    const ten = await paced(pacedRate, pacedSeconds, 10);
    const measures: BenchMeasure[] = [
      {
        name: 'cassandra-ms-per-event-saturated',
        value: storeMs,
        unit: `Cassandra CPU ms per event, store statements, ${IN_FLIGHT} writes in flight (baseline: a minimal row)`,
        baseline: minimalMs,
        ratio: r(storeMs / minimalMs),
        goal: null,
        better: 'lower',
      },
      {
        name: 'cassandra-ms-per-event-positions-only',
        value: positionsMs,
        unit: 'the positions rows alone',
        baseline: storeMs,
        ratio: r(positionsMs / storeMs),
        goal: null,
        better: 'lower',
      },
      {
        name: 'cassandra-ms-per-event-latest-only',
        value: latestMs,
        unit: 'the asset_latest_state upserts alone',
        baseline: storeMs,
        ratio: r(latestMs / storeMs),
        goal: null,
        better: 'lower',
      },
      {
        name: `cassandra-ms-per-event-paced-${pacedRate}`,
        value: r(one.msPerEvent),
        unit: `above idle, ${pacedRate} events/s, a write per event (baseline: saturated)`,
        baseline: storeMs,
        ratio: r(one.msPerEvent / storeMs),
        goal: null,
        better: 'lower',
      },
      {
        name: `cassandra-ms-per-event-paced-${pacedRate}-chunks-of-10`,
        value: r(ten.msPerEvent),
        unit: `above idle, ${pacedRate} events/s, chunks of 10 (baseline: saturated)`,
        baseline: storeMs,
        ratio: r(ten.msPerEvent / storeMs),
        goal: null,
        better: 'lower',
      },
      {
        name: `cassandra-write-p99-ms-paced-${pacedRate}`,
        value: one.p99,
        unit: `ms, a write per event (baseline: p50)`,
        baseline: one.p50,
        ratio: null,
        goal: null,
        better: 'lower',
      },
    ];
    printMeasures('Cassandra cost per event (devstack node, its own CPU)', measures);
    return {
      measures,
      extra: {
        devices: DEVICES,
        inFlight: IN_FLIGHT,
        pacedRate,
        writeLatencyMs: { oneEvent: one, chunksOf10: ten },
      },
    };
  } finally {
    await dropKeyspace(client, keyspace);
    await client.shutdown();
  }
}
