/**
 * The consumer runner's own logic against the in-memory Kafka of the test kit: offsets across
 * rebalances, the in-flight cap, the throttle on a fake clock, drain on stop. No broker: what only
 * a broker proves (kafkajs, a real group coordinator) is in consumer-runner.test.ts.
 */
import { jest } from '@jest/globals';
import { Registry } from 'prom-client';
import { pino } from 'pino';
import { Latch, MemoryKafka } from '@fleetstream/test-kit/memory-kafka';
import { ConsumerRunner, createStreamMetrics, type BatchHandler, type HandlerContext, type InboundRecord, type ThrottleOptions } from '../src/index.ts';

const silent = pino({ level: 'silent' });
const unlimited: ThrottleOptions = { maxRecordsPerBatch: 100, minFetchIntervalMs: 0, recordsPerSec: 0, bytesPerSec: 0, maxInFlight: 100_000 };
/** Lets every pending promise settle: the in-memory Kafka and the runner have no timer on these paths. */
const idle = () => new Promise<void>((r) => setImmediate(r));
const keyOf = (r: InboundRecord) => `${r.partition}:${r.offset}`;

function setup(partitions: number, perPartition: number, options: { fetchMaxRecords?: number } = {}) {
  const kafka = new MemoryKafka({ fetchMaxRecords: options.fetchMaxRecords ?? 1_000 });
  kafka.createTopic('in', partitions);
  for (let p = 0; p < partitions; p++) kafka.append('in', Array.from({ length: perPartition }, (_, i) => ({ key: null, value: String(i), partition: p })));
  return kafka;
}

function runnerOn(kafka: MemoryKafka, handler: BatchHandler, throttle: Partial<ThrottleOptions> = {}, groupId = 'g') {
  const consumer = kafka.consumer({ groupId, topics: ['in'], partitionsConsumedConcurrently: 4 });
  const metrics = createStreamMetrics(new Registry(), 'unit', { processMetrics: false });
  const runner = new ConsumerRunner({ consumer, handler, throttle: { ...unlimited, ...throttle }, commitIntervalMs: 60_000, heartbeatIntervalMs: 1_000, metrics, logger: silent });
  return { runner, consumer, metrics };
}

afterEach(() => {
  jest.useRealTimers();
});

describe('offsets', () => {
  test('every commit covers only records whose handler returned, and the last one is the end of each partition', async () => {
    // Prepare: chunks finish in a random order across partitions; the broker checks each commit as it arrives
    const kafka = setup(4, 1_000, { fetchMaxRecords: 250 });
    const done = new Set<string>();
    const violations: string[] = [];
    kafka.intercept.commit = (_group, offsets) => {
      for (const o of offsets) for (let x = 0n; x < BigInt(o.offset); x++) if (!done.has(`${o.partition}:${x}`)) violations.push(`${o.partition}:${x} < ${o.offset}`);
    };
    const { runner } = runnerOn(kafka, async (records) => {
      await new Promise((r) => setTimeout(r, Math.random() * 3));
      for (const r of records) done.add(keyOf(r));
      void runner.commit('test');
    });

    // Act
    await runner.start();
    while (done.size < 4_000) await new Promise((r) => setTimeout(r, 5));
    await runner.stop(1_000);

    // Assess
    expect(violations).toEqual([]);
    expect([...kafka.committed('g', 'in').values()]).toEqual([1_000n, 1_000n, 1_000n, 1_000n]);
  });

  test('a chunk still running holds its partition\'s commit at its first offset while later partitions move on', async () => {
    // Prepare: partition 0's second chunk is held
    const kafka = setup(2, 300);
    const held = new Latch();
    const { runner } = runnerOn(kafka, async (records) => {
      if (records[0]!.partition === 0 && records[0]!.offset === '100') await held.wait();
    });

    // Act
    await runner.start();
    while (held.waiting === 0) await idle();
    await idle();
    await runner.commit('test');
    const whileHeld = kafka.committed('g', 'in');
    held.open();
    while (kafka.committed('g', 'in').get(0) !== 300n) {
      await runner.commit('test');
      await idle();
    }
    await runner.stop(1_000);

    // Assess
    expect(whileHeld).toEqual(new Map([[0, 100n], [1, 300n]]));
    expect(kafka.committed('g', 'in')).toEqual(new Map([[0, 300n], [1, 300n]]));
  });

  test('a member joining mid-batch: the revoked partitions\' done offsets are committed before the new owner reads them, so nothing is read twice or lost', async () => {
    // Prepare: a's handler is held inside a chunk when b joins
    const kafka = setup(4, 500);
    const seen: string[] = [];
    const held = new Latch();
    const handler: BatchHandler = async (records) => {
      if (records[0]!.offset === '200') await held.wait();
      for (const r of records) seen.push(keyOf(r));
    };
    const a = runnerOn(kafka, handler);
    const b = runnerOn(kafka, handler);

    // Act: b joins while a holds chunks at offset 200; the rebalance waits for them, a commits, b starts from there
    await a.runner.start();
    while (held.waiting < 4) await idle();
    const joined = b.runner.start();
    await idle();
    const committedBeforeAssignment = kafka.committed('g', 'in');
    held.open();
    await joined;
    await kafka.whenStable('g');
    while (seen.length < 2_000) await idle();
    await Promise.all([a.runner.stop(1_000), b.runner.stop(1_000)]);

    // Assess: b got half the partitions; each record handled once; every partition committed to its end
    expect(committedBeforeAssignment).toEqual(new Map([[0, 200n], [1, 200n], [2, 200n], [3, 200n]]));
    expect(b.consumer.batches).toBeGreaterThan(0);
    expect(seen).toHaveLength(2_000);
    expect(new Set(seen).size).toBe(2_000);
    expect(kafka.commits.filter((c) => c.offset === '300').map((c) => c.partition).sort()).toEqual([0, 1, 2, 3]);
    expect([...kafka.committed('g', 'in').values()]).toEqual([500n, 500n, 500n, 500n]);
  });

  test('a partition taken from a member whose session expired: its stale batch stops at the next chunk and the new owner reads from the last commit', async () => {
    // Prepare: a reads 100-record chunks of one 500-record fetch; its second chunk is held
    const kafka = setup(1, 500);
    const seenBy = { a: [] as string[], b: [] as string[] };
    const held = new Latch();
    const a = runnerOn(kafka, async (records) => {
      if (records[0]!.offset === '100') await held.wait();
      for (const r of records) seenBy.a.push(keyOf(r));
    });
    const b = runnerOn(kafka, async (records) => {
      for (const r of records) seenBy.b.push(keyOf(r));
    });

    // Act: a commits its first chunk, then expires while holding the second; b takes the partition
    await a.runner.start();
    while (held.waiting === 0) await idle();
    await a.runner.commit('test');
    await a.consumer.expel();
    await b.runner.start();
    while (seenBy.b.length < 400) await idle();
    held.open();
    await idle();
    await a.runner.stop(1_000);
    await b.runner.stop(1_000);

    // Assess: a finished the held chunk and started no other; b read from offset 100; a's later commit was refused
    expect(seenBy.a).toHaveLength(200);
    expect(seenBy.b[0]).toBe('0:100');
    expect(seenBy.b).toHaveLength(400);
    expect(kafka.commits.map((c) => c.offset)).not.toContain('200');
    expect(kafka.committed('g', 'in')).toEqual(new Map([[0, 500n]]));
  });

  test('a transactional input: the committed offset moves past the commit marker after the last record', async () => {
    // Prepare: 3 committed transactions of 10 records, one aborted in between
    const kafka = new MemoryKafka();
    kafka.createTopic('in', 1);
    const producer = kafka.producer({ transactionalId: 'tx' });
    await producer.connect();
    for (const outcome of ['commit', 'abort', 'commit', 'commit'] as const) {
      const tx = await producer.transaction();
      await tx.send(Array.from({ length: 10 }, (_, i) => ({ topic: 'in', key: null, value: `${outcome}-${i}` })));
      await (outcome === 'commit' ? tx.commit() : tx.abort());
    }
    const values: string[] = [];
    const { runner } = runnerOn(kafka, async (records) => {
      for (const r of records) values.push(r.value!.toString());
    });

    // Act
    await runner.start();
    while (values.length < 30) await idle();
    await runner.stop(1_000);

    // Assess: 4 transactions of 10 records + 4 markers = 44 offsets
    expect(values.filter((v) => v.startsWith('abort'))).toEqual([]);
    expect(values).toHaveLength(30);
    expect(kafka.committed('g', 'in')).toEqual(new Map([[0, 44n]]));
  });
});

describe('in-flight cap', () => {
  test.each([
    ['without a rate limit', 0],
    ['with a rate limit (the cap is reserved before the token-bucket wait)', 1_000_000],
  ])('%s: four partitions of 100-record chunks under a cap of 300 fill it to exactly 300 and the fourth chunk waits', async (_name, recordsPerSec) => {
    // Prepare: a fake clock, so the token bucket's 1 ms waits pass when the test says
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'], now: 0 });
    const kafka = setup(4, 1_000);
    const held = new Latch();
    let max = 0;
    const { runner, consumer } = runnerOn(kafka, async () => {
      max = Math.max(max, runner.inFlight);
      await held.wait();
    }, { maxInFlight: 300, recordsPerSec });

    // Act: every partition has a batch in the runner; nothing moves until the latch opens
    await runner.start();
    while (consumer.batches < 4) await idle();
    await jest.advanceTimersByTimeAsync(100);
    const atCap = { inFlight: runner.inFlight, handlers: held.waiting };
    held.open();
    while (![0, 1, 2, 3].every((p) => kafka.committed('g', 'in').get(p) === 1_000n)) {
      await runner.commit('test');
      await jest.advanceTimersByTimeAsync(10);
    }
    const stopped = runner.stop(1_000);
    await jest.advanceTimersByTimeAsync(100);
    await stopped;

    // Assess
    expect(atCap).toEqual({ inFlight: 300, handlers: 3 });
    expect(max).toBe(300);
  });

  test('a chunk larger than the cap runs alone when nothing else is in flight', async () => {
    // Prepare
    const kafka = setup(2, 200);
    let max = 0;
    const { runner } = runnerOn(kafka, async () => {
      max = Math.max(max, runner.inFlight);
    }, { maxInFlight: 50, maxRecordsPerBatch: 200 });

    // Act
    await runner.start();
    while (kafka.committed('g', 'in').size < 2) {
      await runner.commit('test');
      await idle();
    }
    await runner.stop(1_000);

    // Assess
    expect(max).toBe(200);
    expect(kafka.committed('g', 'in')).toEqual(new Map([[0, 200n], [1, 200n]]));
  });
});

describe('throttle on a fake clock', () => {
  test('1,000 records/s over 10 s: every second of fake time hands the handler exactly 1,000 records, with heartbeats while it waits', async () => {
    // Prepare
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'], now: 0 });
    const kafka = setup(4, 5_000);
    const handledAt: number[] = [];
    const { runner, consumer, metrics } = runnerOn(kafka, async (records) => {
      for (let i = 0; i < records.length; i++) handledAt.push(Date.now());
    }, { recordsPerSec: 1_000, maxRecordsPerBatch: 100 });

    // Act
    await runner.start();
    for (let t = 0; t < 10_000; t += 50) await jest.advanceTimersByTimeAsync(50);
    const stopped = runner.stop(1_000);
    await jest.advanceTimersByTimeAsync(1_000);
    await stopped;

    // Assess
    const perSecond = Array.from({ length: 10 }, (_, s) => handledAt.filter((t) => t >= s * 1_000 && t < (s + 1) * 1_000).length);
    expect(perSecond).toEqual([1_000, 1_000, 1_000, 1_000, 1_000, 1_000, 1_000, 1_000, 1_000, 1_000]);
    expect(consumer.heartbeats).toBeGreaterThanOrEqual(9);
    expect((await metrics.throttleWait.get()).values[0]?.value).toBeGreaterThan(9);
  });

  test('a handler running for 5 s heartbeats every second', async () => {
    // Prepare
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'], now: 0 });
    const kafka = setup(1, 10);
    const held = new Latch();
    const { runner, consumer } = runnerOn(kafka, () => held.wait());

    // Act
    await runner.start();
    await jest.advanceTimersByTimeAsync(5_000);
    const beats = consumer.heartbeats;
    held.open();
    const stopped = runner.stop(1_000);
    await jest.advanceTimersByTimeAsync(100);
    await stopped;

    // Assess
    expect(beats).toBe(5);
  });
});

describe('drain on stop', () => {
  test('chunks running at stop finish and are committed; no new chunk starts; the member leaves the group', async () => {
    // Prepare: two partitions, each with its first chunk held
    const kafka = setup(2, 500);
    const held = new Latch();
    const started: string[] = [];
    const { runner, consumer } = runnerOn(kafka, async (records) => {
      started.push(keyOf(records[0]!));
      await held.wait();
    });

    // Act
    await runner.start();
    while (held.waiting < 2) await idle();
    const stopped = runner.stop(5_000);
    await idle();
    held.open();
    await stopped;

    // Assess
    expect(started.sort()).toEqual(['0:0', '1:0']);
    expect(kafka.committed('g', 'in')).toEqual(new Map([[0, 100n], [1, 100n]]));
    expect(consumer.running).toBe(false);
    await kafka.whenStable('g');
    expect(kafka.group('g').members).toHaveLength(0);
  });

  test('a chunk that outlives the deadline is aborted and not committed; the finished one is', async () => {
    // Prepare: partition 0's chunk gives up only when its signal aborts, partition 1's is done
    const kafka = setup(2, 100);
    const signals: HandlerContext['signal'][] = [];
    const { runner } = runnerOn(kafka, async (records, ctx) => {
      if (records[0]!.partition === 1) return;
      signals.push(ctx.signal);
      await new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('aborted'))));
    });

    // Act
    await runner.start();
    while (!(signals.length > 0 && kafka.committed('g', 'in').get(1) === 100n)) {
      await runner.commit('test');
      await idle();
    }
    await runner.stop(100);

    // Assess
    expect(signals[0]!.aborted).toBe(true);
    expect(kafka.committed('g', 'in')).toEqual(new Map([[1, 100n]]));
  });
});
