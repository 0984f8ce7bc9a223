/**
 * Bench `store-vs-bare-driver`: the real store (Kafka consumer, decode, PositionWriter under the
 * adaptive concurrency, checkpointed commits) against a bare cassandra-driver loop that writes the
 * same rows with the same prepared statements and the same single-partition batches at a fixed
 * concurrency, in the same run, each into a fresh keyspace. The bare run's statements are recorded
 * from a PositionWriter over the same chunks the store consumes (500 records of one partition), so
 * both runs send Cassandra exactly the same work; the bare run has no Kafka, no decoding and no
 * limiter, so its rate is the sink's ceiling and the ratio is what the store keeps of it.
 */
import type cassandra from 'cassandra-driver';
import { AdaptiveConcurrency, type BenchMeasure } from '@fleetstream/stream';
import { PositionWriter, type CqlSink } from '../src/position-writer.ts';
import type { StoredEvent } from '../src/event.ts';
import { benchEvent, cassandraClient, createTopics, dropKeyspace, freshKeyspace, id, metricSum, PARTITIONS, produceEvents, sleep, startStore } from './bench-support.ts';

type Call = { kind: 'execute'; query: string; params: unknown[] } | { kind: 'batch'; queries: { query: string; params: unknown[] }[] };

export interface WriteRun {
  run: string;
  events: number;
  seconds: number;
  eventsPerSec: number;
  calls: number;
  concurrency: string;
  errors: number;
}

/** The statements a PositionWriter sends for `events`, in consumer chunks of `chunk` records per partition. */
async function recordCalls(keyspace: string, total: number, chunk: number): Promise<Call[]> {
  const calls: Call[] = [];
  const sink: CqlSink = {
    execute: async (query, params) => void calls.push({ kind: 'execute', query, params }),
    batch: async (queries) => void calls.push({ kind: 'batch', queries }),
  };
  const unlimited = new AdaptiveConcurrency({ min: 1_000_000, max: 1_000_000 });
  const writer = new PositionWriter({ sink, keyspace, concurrency: unlimited });
  const byPartition: StoredEvent[][] = Array.from({ length: PARTITIONS }, () => []);
  for (let i = 0; i < total; i++) {
    const e = benchEvent(i);
    // Through JSON, as the store sees it (dates, numbers).
    byPartition[e.partition]!.push(JSON.parse(JSON.stringify(e.event)) as StoredEvent);
  }
  // Interleave the partitions' chunks the way four concurrent partition consumers would.
  const longest = Math.max(...byPartition.map((p) => p.length));
  for (let at = 0; at < longest; at += chunk) {
    for (const events of byPartition) if (at < events.length) await writer.write(events.slice(at, at + chunk));
  }
  return calls;
}

/** Runs the recorded calls with `concurrency` workers; an error is counted and the call retried. */
async function bare(client: cassandra.Client, calls: Call[], total: number, concurrency: number): Promise<WriteRun> {
  const options = { prepare: true, isIdempotent: true } as const;
  // Statements are prepared on first use, as in the store (the driver caches them per client).
  let next = 0;
  let errors = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < calls.length; i = next++) {
        const c = calls[i]!;
        for (;;) {
          try {
            if (c.kind === 'execute') await client.execute(c.query, c.params, options);
            else await client.batch(c.queries, { ...options, logged: false });
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
  return { run: 'bare cassandra-driver', events: total, seconds, eventsPerSec: total / seconds, calls: calls.length, concurrency: `fixed ${concurrency}`, errors };
}

/** The real store from a fresh group over `input`, timed from its first written chunk to its last. */
async function store(keyspace: string, input: string, total: number, maxConcurrency: number): Promise<WriteRun> {
  const { deps, shutdown } = await startStore({ keyspace, input, dlq: `bench-dlq-${id()}`, group: `store-bench-${id()}`, extra: { STORE_MAX_CONCURRENCY: String(maxConcurrency) } });
  let t0 = 0;
  let c0 = 0;
  let peak = 0;
  let done = 0;
  try {
    for (;;) {
      done = await metricSum(deps.registry, 'fleetstream_records_out_total');
      peak = Math.max(peak, await metricSum(deps.registry, 'fleetstream_sink_concurrency'));
      if (done > 0 && t0 === 0) [t0, c0] = [performance.now(), done];
      if (done >= total) break;
      await sleep(20);
    }
  } finally {
    await shutdown();
  }
  const seconds = (performance.now() - t0) / 1000;
  const overloads = await metricSum(deps.registry, 'fleetstream_store_overload_errors_total');
  return { run: 'store (service)', events: total, seconds, eventsPerSec: (done - c0) / seconds, calls: 0, concurrency: `adaptive, peak ${peak}`, errors: overloads };
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
  const [ksBare, ksStore] = [await freshKeyspace(client), await freshKeyspace(client)];
  try {
    console.error('store-vs-bare-driver: bare driver');
    const b = await bare(client, await recordCalls(ksBare, total, 500), total, maxConcurrency);
    console.error('store-vs-bare-driver: store');
    const s = await store(ksStore, input, total, maxConcurrency);
    const ratio = s.eventsPerSec / b.eventsPerSec;
    return {
      measure: { name: 'store-vs-bare-driver', value: Math.round(s.eventsPerSec), unit: 'rows/s', baseline: Math.round(b.eventsPerSec), ratio: Number(ratio.toFixed(3)), goal: 0.9 },
      runs: [b, s],
    };
  } finally {
    await dropKeyspace(client, ksBare);
    await dropKeyspace(client, ksStore);
    await client.shutdown();
  }
}
