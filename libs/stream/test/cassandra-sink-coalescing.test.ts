/**
 * The Cassandra sink writes the chunks handed to it in one event-loop turn (the partition chunks of
 * one fetch) as one set of calls, packed by the stage's `statements`; a chunk holding a row
 * Cassandra refuses fails alone. The client is a recording fake: what Cassandra does with the rows
 * is the store's integration tests' business.
 */
import { Registry } from 'prom-client';
import { pino } from 'pino';
import { MemoryKafka } from '@fleetstream/test-kit/memory-kafka';
import { cassandraSink, consumerConfigSchema, createStreamMetrics, loadConfig, type CqlClient, type CqlStatement } from '../src/index.ts';
import { TurnCoalescer } from '../src/turn-coalescer.ts';

/** A client recording each request's rows (params[0]); a batch holding `refuse` is refused for good. */
function recordingClient(refuse?: string) {
  const requests: string[][] = [];
  const run = async (statements: CqlStatement[]) => {
    requests.push(statements.map((s) => String(s.params[0])));
    if (refuse !== undefined && statements.some((s) => s.params[0] === refuse)) throw Object.assign(new Error('Invalid value'), { name: 'ResponseError', code: 0x2200 });
  };
  const client: CqlClient & { connect(): Promise<void>; shutdown(): Promise<void> } = {
    execute: async (query, params) => (query.startsWith('SELECT') ? undefined : run([{ query, params }])),
    batch: async (queries) => run(queries),
    connect: async () => undefined,
    shutdown: async () => undefined,
  };
  return { client, requests };
}

function sinkOn(client: CqlClient & { connect(): Promise<void>; shutdown(): Promise<void> }) {
  const deps = {
    kafka: new MemoryKafka(),
    metrics: createStreamMetrics(new Registry(), 'store', { processMetrics: false }),
    config: loadConfig(consumerConfigSchema, { KAFKA_BROKERS: '127.0.0.1:1' }),
    logger: pino({ level: 'silent' }),
    health: { setReadiness: () => undefined } as never,
  };
  // One batch per call of `statements`, as the store packs a chunk's devices.
  return cassandraSink<string>(deps, {
    client,
    statements: (rows) => [{ batch: rows.map((r) => ({ query: 'INSERT INTO ks.t (v) VALUES (?)', params: [r] })), rows: rows.length }],
    concurrency: { min: 1, max: 4, initial: 4 },
  });
}

const ctx = () => ({ groupId: 'g', signal: new AbortController().signal });

describe('the Cassandra sink across the chunks of one turn', () => {
  test('chunks written in one turn share one request, each chunk resolving once it is written', async () => {
    // Prepare
    const { client, requests } = recordingClient();
    const sink = sinkOn(client);
    await sink.start();
    // Act: three partition chunks in one turn, then one alone
    await Promise.all([sink.write({ out: ['a1', 'a2'], dead: [] }, [], ctx()), sink.write({ out: ['b1'], dead: [] }, [], ctx()), sink.write({ out: ['c1', 'c2'], dead: [] }, [], ctx())]);
    await sink.write({ out: ['d1'], dead: [] }, [], ctx());
    await sink.stop();
    // Assert
    expect(requests).toEqual([['a1', 'a2', 'b1', 'c1', 'c2'], ['d1']]);
  });

  test('a row Cassandra refuses fails only its own chunk (STREAM_SINK_REFUSED); its neighbours are written', async () => {
    // Prepare
    const { client, requests } = recordingClient('b1');
    const sink = sinkOn(client);
    await sink.start();
    // Act
    const results = await Promise.allSettled([sink.write({ out: ['a1'], dead: [] }, [], ctx()), sink.write({ out: ['b1'], dead: [] }, [], ctx()), sink.write({ out: ['c1'], dead: [] }, [], ctx())]);
    await sink.stop();
    // Assert: the merged request was refused, then each chunk was written alone
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'STREAM_SINK_REFUSED' });
    expect(requests).toEqual([['a1', 'b1', 'c1'], ['a1'], ['b1'], ['c1']]);
  });
});

describe('TurnCoalescer', () => {
  test("the merged call's signal aborts when any caller's does; the callers are then run alone under their own", async () => {
    // Prepare: a run that fails when its signal is aborted
    const calls: { items: number[]; aborted: boolean }[] = [];
    const revoked = new AbortController();
    const c = new TurnCoalescer<number>(async (items, signal) => {
      if (items.length > 1) revoked.abort(); // a partition is revoked while the merged call runs
      calls.push({ items, aborted: signal?.aborted ?? false });
      if (signal?.aborted) throw new Error('aborted');
    });
    // Act
    const results = await Promise.allSettled([c.submit([1], revoked.signal), c.submit([2], new AbortController().signal)]);
    // Assert
    expect(calls).toEqual([
      { items: [1, 2], aborted: true },
      { items: [1], aborted: true },
      { items: [2], aborted: false },
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled']);
    expect(c.calls).toBe(3);
  });
});
