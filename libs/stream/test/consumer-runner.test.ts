// @servers kafka
import { Registry } from 'prom-client';
import { pino } from 'pino';
import { ConsumerRunner, createStreamMetrics, type InboundRecord, type ThrottleOptions, type TopicPartitionOffset } from '../src/index.ts';
import { committedOffsets, createTopics, produceRange, streamClient, suffix } from './helpers/kafka.ts';

const silent = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const unlimited: ThrottleOptions = { maxRecordsPerBatch: 500, minFetchIntervalMs: 0, recordsPerSec: 0, bytesPerSec: 0, maxInFlight: 100_000 };

function runner(groupId: string, topic: string, handler: (records: InboundRecord[]) => Promise<void>, throttle: ThrottleOptions, onCommit?: (o: TopicPartitionOffset[]) => void, commitIntervalMs = 200) {
  const kafka = streamClient('runner-test');
  const metrics = createStreamMetrics(new Registry(), 'runner-test', { processMetrics: false });
  const r = new ConsumerRunner({
    consumer: kafka.consumer({ groupId, topics: [topic], sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000, partitionsConsumedConcurrently: 4 }),
    handler,
    throttle,
    commitIntervalMs,
    metrics,
    logger: silent,
    onCommit,
  });
  return { r, metrics };
}

describe('ConsumerRunner against the real Kafka', () => {
  test('four partitions fetched at once fill the in-flight cap exactly and never pass it', async () => {
    // Prepare: 100-record chunks, a cap of 300; handlers are held until three of them run
    const topic = `cap-${suffix()}`;
    await createTopics([{ topic, partitions: 4 }]);
    await produceRange(topic, 4_000);
    const cap = 300;
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let running = 0;
    let handled = 0;
    const inFlightSeen: number[] = [];
    const { r } = runner(`g-${suffix()}`, topic, async (records) => {
      inFlightSeen.push(r.inFlight);
      running += 1;
      if (running === 3) release();
      await released;
      handled += records.length;
    }, { ...unlimited, maxRecordsPerBatch: 100, maxInFlight: cap });

    // Act
    await r.start();
    while (handled < 4_000) await sleep(20);
    await r.stop(5_000);

    // Assess: the cap was reached (three chunks at once) and never passed
    expect(Math.max(...inFlightSeen)).toBe(cap);
  }, 60_000);

  test('holds the configured records/s within 10 % over 10 s on a large backlog', async () => {
    // Prepare: a backlog far larger than 10 s of the rate
    const topic = `throttle-${suffix()}`;
    await createTopics([{ topic, partitions: 4 }]);
    await produceRange(topic, 60_000);
    const rate = 2_000;
    const cap = 300;
    const times: number[] = [];
    const { r, metrics } = runner(`g-${suffix()}`, topic, async (records) => {
      await sleep(5 + Math.random() * 20);
      const now = Date.now();
      for (let i = 0; i < records.length; i += 1) times.push(now);
    }, { maxRecordsPerBatch: 100, minFetchIntervalMs: 0, recordsPerSec: rate, bytesPerSec: 0, maxInFlight: cap });
    const rss0 = process.memoryUsage().rss;

    // Act: measure from 2 s after the first record to 12 s
    await r.start();
    while (times.length === 0) await sleep(50);
    const from = times[0]! + 2_000;
    await sleep(from + 10_000 - Date.now() + 200);
    await r.stop(5_000);

    // Assess
    const observed = times.filter((t) => t >= from && t < from + 10_000).length / 10;
    expect(observed).toBeGreaterThan(rate * 0.9);
    expect(observed).toBeLessThan(rate * 1.1);
    expect(process.memoryUsage().rss - rss0).toBeLessThan(200 * 1024 * 1024);
    const waited = (await metrics.throttleWait.get()).values[0]?.value ?? 0;
    expect(waited).toBeGreaterThan(1);
  }, 60_000);

  test('a second consumer joining mid-stream and leaving again loses no record and never commits past unfinished work', async () => {
    // Prepare
    const topic = `rebalance-${suffix()}`;
    const groupId = `g-${suffix()}`;
    await createTopics([{ topic, partitions: 6 }]);
    const total = 30_000;
    await produceRange(topic, total);
    const done = new Set<string>();
    const violations: string[] = [];
    const handler = async (records: InboundRecord[]) => {
      await Promise.all(records.map(async (rec) => {
        await sleep(Math.random() * 4);
        done.add(`${rec.partition}:${rec.offset}`);
      }));
    };
    const partitionSizes = new Map<number, bigint>();
    const onCommit = (offsets: TopicPartitionOffset[]) => {
      for (const o of offsets) {
        // every offset below the committed one must be done (by either member)
        for (let x = BigInt(o.offset) - 1n; x >= 0n && x >= BigInt(o.offset) - 500n; x -= 1n) {
          if (!done.has(`${o.partition}:${x}`)) violations.push(`${o.partition}:${x} < ${o.offset}`);
        }
        partitionSizes.set(o.partition, BigInt(o.offset));
      }
    };
    const a = runner(groupId, topic, handler, { ...unlimited, maxRecordsPerBatch: 200 }, onCommit);
    const b = runner(groupId, topic, handler, { ...unlimited, maxRecordsPerBatch: 200 }, onCommit);

    // Act: a alone, then a + b, then a alone again
    await a.r.start();
    while (done.size < 5_000) await sleep(20);
    await b.r.start();
    while (done.size < 15_000) await sleep(20);
    await b.r.stop(10_000);
    while (done.size < total) await sleep(50);
    await sleep(500);
    await a.r.stop(10_000);

    // Assess
    expect(done.size).toBe(total);
    expect(violations).toEqual([]);
    const sum = [...partitionSizes.values()].reduce((x, y) => x + y, 0n);
    expect(sum).toBe(BigInt(total));
  }, 120_000);

  test('a member joining while the first records are still in flight, before any commit, loses none', async () => {
    // Prepare: nothing is committed before the rebalance (a long commit interval, slow first
    // batches), so each partition a keeps has no committed offset and its records in flight are
    // dropped as stale: they must be read again, not skipped and committed past.
    const topic = `rebalance-early-${suffix()}`;
    const groupId = `g-${suffix()}`;
    await createTopics([{ topic, partitions: 4 }]);
    const total = 8_000;
    await produceRange(topic, total);
    const done = new Set<string>();
    let joined = false;
    let busy!: () => void;
    const aBusy = new Promise<void>((r) => (busy = r));
    const handler = async (records: InboundRecord[]) => {
      busy();
      if (!joined) await sleep(1_500);
      for (const rec of records) done.add(`${rec.partition}:${rec.offset}`);
    };
    const a = runner(groupId, topic, handler, { ...unlimited, maxRecordsPerBatch: 500 }, undefined, 60_000);
    const b = runner(groupId, topic, handler, { ...unlimited, maxRecordsPerBatch: 500 }, undefined, 60_000);

    // Act
    await a.r.start();
    await aBusy;
    await b.r.start();
    joined = true;
    const deadline = Date.now() + 60_000;
    while (done.size < total && Date.now() < deadline) await sleep(50);
    await b.r.stop(10_000);
    await a.r.stop(10_000);

    // Assess: every record handled, and the group's committed offsets at the end of each partition
    expect(done.size).toBe(total);
    const committed = await committedOffsets(groupId, topic);
    expect([...committed.values()].reduce((s, o) => s + o, 0n)).toBe(BigInt(total));
  }, 120_000);
});
