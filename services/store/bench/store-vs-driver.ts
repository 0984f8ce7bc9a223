/**
 * Bench `store-vs-bare-driver`: the real store (Kafka consumer, decode, PositionWriter under the
 * adaptive concurrency, checkpointed commits) against a bare cassandra-driver loop that writes the
 * same rows with the same prepared statements and the same single-partition batches at a fixed
 * concurrency, in the same run, each into a fresh keyspace. After an untimed warm-up run of the
 * store, the store runs through a client that records every write it sends; the bare run then replays exactly those calls, in the same
 * order (keyspace renamed). So both runs send Cassandra the same work even where the store's chunks
 * follow Kafka's fetches rather than a round 500 records (a 1,250-record fetch is cut 500/500/250,
 * and a smaller chunk writes the same per-device index and latest-state rows for fewer positions).
 * The bare run has no Kafka, no decoding and no limiter, so its rate is the sink's ceiling and the
 * ratio is what the store keeps of it.
 */
import cassandra from 'cassandra-driver';
import type { BenchMeasure } from '@fleetstream/stream/bench-kit';
import { cassandraClient, cpuMeter, createTopics, dropKeyspace, freshKeyspace, histogramSumCount, id, metricSum, produceEvents, sleep, startStore, type CpuUse } from './bench-support.ts';

type Call = { kind: 'execute'; query: string; params: unknown[] } | { kind: 'batch'; queries: { query: string; params: unknown[] }[] };

export interface WriteRun {
  run: string;
  events: number;
  seconds: number;
  eventsPerSec: number;
  calls: number;
  concurrency: string;
  errors: number;
  /** Mean duration of one successful call (statement or batch), ms. */
  meanLatencyMs: number;
  /** Calls in flight on average (Little's law: total call time / wall time). */
  meanInFlight: number;
  cpu: CpuUse;
  /** The store's concurrency limit over time (seconds since its start). */
  limitOverTime?: { t: number; limit: number; eventsDone: number }[];
}

/**
 * A client that forwards to `client` and appends every write (INSERT statement or batch) to
 * `calls`; reads (the readiness check) pass through unrecorded.
 */
function recordingClient(client: cassandra.Client, calls: Call[]): cassandra.Client {
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop === 'execute') {
        return (query: string, params: unknown[], options: cassandra.QueryOptions) => {
          if (/^\s*insert/i.test(query)) calls.push({ kind: 'execute', query, params });
          return target.execute(query, params, options);
        };
      }
      if (prop === 'batch') {
        return (queries: { query: string; params: unknown[] }[], options: cassandra.QueryOptions) => {
          calls.push({ kind: 'batch', queries });
          return target.batch(queries, options);
        };
      }
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** The calls with every `from.` keyspace prefix in their statements turned into `to.`. */
function inKeyspace(calls: Call[], from: string, to: string): Call[] {
  const q = (query: string) => query.replaceAll(`${from}.`, `${to}.`);
  return calls.map((c) => (c.kind === 'execute' ? { ...c, query: q(c.query) } : { kind: 'batch', queries: c.queries.map((x) => ({ ...x, query: q(x.query) })) }));
}

/** Runs the recorded calls with `concurrency` workers; an error is counted and the call retried. */
async function bare(client: cassandra.Client, calls: Call[], total: number, concurrency: number): Promise<WriteRun> {
  const options = { prepare: true, isIdempotent: true } as const;
  // Statements are prepared on first use, as in the store (the driver caches them per client).
  let next = 0;
  let errors = 0;
  let callMs = 0;
  const cpu = cpuMeter();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < calls.length; i = next++) {
        const c = calls[i]!;
        for (;;) {
          const started = performance.now();
          try {
            if (c.kind === 'execute') await client.execute(c.query, c.params, options);
            else await client.batch(c.queries, { ...options, logged: false });
            callMs += performance.now() - started;
            break;
          } catch {
            errors++;
            await sleep(100);
          }
        }
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  return {
    run: 'bare cassandra-driver',
    events: total,
    seconds,
    eventsPerSec: total / seconds,
    calls: calls.length,
    concurrency: `fixed ${concurrency}`,
    errors,
    meanLatencyMs: callMs / calls.length,
    meanInFlight: callMs / 1000 / seconds,
    cpu: cpu.stop(),
  };
}

/**
 * The real store from a fresh group over `input`, timed from the moment its first chunk is handed
 * to the handler (the group join is Kafka's, not the sink's) to its last written chunk, so the
 * limiter's ramp from its initial limit counts.
 */
async function store(keyspace: string, input: string, total: number, maxConcurrency: number, client: cassandra.Client): Promise<WriteRun> {
  const extra: Record<string, string> = { STORE_MAX_CONCURRENCY: String(maxConcurrency) };
  // The store's own tuning passes through (a bench of other settings without code changes).
  for (const k of ['STORE_MIN_CONCURRENCY', 'STORE_INITIAL_CONCURRENCY', 'STORE_SLOW_START', 'STORE_BATCH_MAX_ROWS', 'MAX_RECORDS_PER_BATCH', 'MAX_IN_FLIGHT', 'PARTITIONS_CONCURRENCY']) {
    if (process.env[k]) extra[k] = process.env[k];
  }
  const t0 = performance.now();
  const { deps, shutdown } = await startStore({ keyspace, input, dlq: `bench-dlq-${id()}`, group: `store-bench-${id()}`, extra, client });
  const latency = 'fleetstream_store_write_latency_seconds';
  const limitOverTime: NonNullable<WriteRun['limitOverTime']> = [];
  let cpu: ReturnType<typeof cpuMeter> | undefined;
  let tStart = 0;
  let peak = 0;
  let done: number;
  let lastSample = -Infinity;
  let seconds: number;
  let use: CpuUse | undefined;
  let calls: { sum: number; count: number };
  try {
    for (;;) {
      done = await metricSum(deps.registry, 'fleetstream_records_out_total');
      const limit = await metricSum(deps.registry, 'fleetstream_sink_concurrency');
      const now = performance.now();
      if (tStart === 0 && (done > 0 || (await metricSum(deps.registry, 'fleetstream_inflight')) > 0)) {
        [tStart, cpu] = [now, cpuMeter()];
      }
      if (tStart === 0) {
        await sleep(5);
        continue;
      }
      peak = Math.max(peak, limit);
      if (now - lastSample >= 250 || done >= total) {
        limitOverTime.push({ t: Number(((now - tStart) / 1000).toFixed(2)), limit, eventsDone: done });
        lastSample = now;
      }
      if (done >= total) break;
      await sleep(20);
    }
    // Measured before the shutdown: the consumer's leave and the client's close are not the store's work.
    seconds = (performance.now() - tStart) / 1000;
    use = cpu?.stop();
    calls = await histogramSumCount(deps.registry, latency);
  } finally {
    await shutdown();
  }
  const overloads = await metricSum(deps.registry, 'fleetstream_store_overload_errors_total');
  console.error(`store-vs-bare-driver: store handed its first chunk ${((tStart - t0) / 1000).toFixed(1)} s after its start`);
  return {
    run: 'store (service)',
    events: total,
    seconds,
    eventsPerSec: done / seconds,
    calls: calls.count,
    concurrency: `adaptive, peak ${peak}`,
    errors: overloads,
    meanLatencyMs: (calls.sum * 1000) / Math.max(1, calls.count),
    meanInFlight: calls.sum / seconds,
    cpu: use ?? { hostBusyPct: 0, benchPct: 0, cores: 0 },
    limitOverTime,
  };
}

/** Runs both and returns the measure (goal >= 0.9) and the two runs. */
export async function benchStoreVsDriver(total: number): Promise<{ measure: BenchMeasure; runs: WriteRun[] }> {
  const maxConcurrency = Number(process.env.BENCH_CONCURRENCY ?? 64);
  const client = cassandraClient();
  await client.connect();
  const input = `bench-enriched-${id()}`;
  await createTopics([input]);
  console.error(`store-vs-bare-driver: producing ${total} enriched events`);
  await produceEvents(input, 0, total);
  const [ksWarm, ksBare, ksStore] = [await freshKeyspace(client), await freshKeyspace(client), await freshKeyspace(client)];
  const storeClient = cassandraClient();
  try {
    // A first, untimed store run warms Cassandra (its JIT, memtables, commit log segments) and this
    // process: with Cassandra no longer the limit (concurrent_writes 64), a cold first run measured
    // the warm-up, 0.63-0.81 of the bare replay that followed it, against 0.95 once both were warm.
    console.error('store-vs-bare-driver: warm-up store run (not timed)');
    const warmClient = cassandraClient();
    try {
      await store(ksWarm, input, total, maxConcurrency, warmClient);
    } finally {
      await warmClient.shutdown();
      await dropKeyspace(client, ksWarm);
    }
    console.error('store-vs-bare-driver: store');
    const calls: Call[] = [];
    const s = await store(ksStore, input, total, maxConcurrency, recordingClient(storeClient, calls));
    await storeClient.shutdown();
    console.error(`store-vs-bare-driver: bare driver replaying the store's ${calls.length} calls`);
    const b = await bare(client, inKeyspace(calls, ksStore, ksBare), total, maxConcurrency);
    const ratio = s.eventsPerSec / b.eventsPerSec;
    return {
      measure: { name: 'store-vs-bare-driver', value: Math.round(s.eventsPerSec), unit: 'rows/s', baseline: Math.round(b.eventsPerSec), ratio: Number(ratio.toFixed(3)), goal: 0.9 },
      runs: [b, s],
    };
  } finally {
    await storeClient.shutdown();
    await dropKeyspace(client, ksBare);
    await dropKeyspace(client, ksStore);
    await client.shutdown();
  }
}
