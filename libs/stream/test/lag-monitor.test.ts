// @servers kafka
import { Registry } from 'prom-client';
import { pino } from 'pino';
import { ConsumerRunner, createStreamMetrics, monitoredConsumer, timedHandler, type InboundRecord } from '../src/index.ts';
import { createTopics, produceRange, streamClient, suffix } from './helpers/kafka.ts';

const silent = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Waits until `read` returns a value `ok` accepts; returns the last value read (a condition, not a timed assertion). */
async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let v = await read();
  while (!ok(v) && Date.now() < deadline) {
    await sleep(50);
    v = await read();
  }
  return v;
}

describe('the live consumer lag gauge against the real Kafka', () => {
  test('reads the backlog while the consumer is held back, grows with new records while nothing is handled, and reads 0 after it caught up', async () => {
    // Prepare: 2 partitions, 300 records, a handler held until released
    const topic = `lag-${suffix()}`;
    await createTopics([{ topic, partitions: 2 }]);
    await produceRange(topic, 300);
    const registry = new Registry();
    const metrics = createStreamMetrics(registry, 'lag-test', { processMetrics: false });
    const kafka = streamClient('lag-test');
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let handled = 0;
    const handler = timedHandler(async (records: InboundRecord[]) => {
      await released;
      handled += records.length;
    }, metrics);
    const runner = new ConsumerRunner({
      consumer: monitoredConsumer({ kafka, metrics, logger: silent, config: { LAG_INTERVAL_MS: 100 } }, { groupId: `g-${suffix()}`, topics: [topic], sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000 }),
      handler,
      throttle: { maxRecordsPerBatch: 50, minFetchIntervalMs: 0, recordsPerSec: 0, bytesPerSec: 0, maxInFlight: 100_000 },
      commitIntervalMs: 200,
      metrics,
      logger: silent,
    });
    const lag = async () => (await metrics.consumerLag.get()).values.filter((v) => v.labels.topic === topic).reduce((a, v) => a + v.value, 0);
    const series = async () => (await metrics.consumerLag.get()).values.filter((v) => v.labels.topic === topic).length;

    try {
      // Act 1: start; the handler holds the first chunk of each partition
      await runner.start();
      const held = await until(async () => ((await series()) === 2 ? lag() : -1), (v) => v === 300);
      // Act 2: more records arrive while nothing is handled: the gauge follows the broker, not the chunks
      await produceRange(topic, 100);
      const grown = await until(lag, (v) => v === 400);
      // Act 3: release; the consumer catches up and commits
      release();
      const caughtUp = await until(lag, (v) => v === 0);

      // Assess
      expect(held).toBe(300);
      expect(grown).toBe(400);
      expect(caughtUp).toBe(0);
      expect(handled).toBe(400);
      const wait = await metrics.recordWait.get();
      const count = (stage: string) => wait.values.find((v) => v.metricName === 'fleetstream_record_wait_seconds_count' && v.labels.stage === stage)?.value;
      expect(count('fetch')).toBe(400);
      expect(count('handle')).toBe(400);
      // The gauge reads 0 from the finished position; the commit follows within COMMIT_INTERVAL_MS.
      const commitCount = async () => (await metrics.stageDuration.get()).values.find((v) => v.metricName === 'fleetstream_stage_duration_seconds_count' && v.labels.stage === 'commit')?.value ?? 0;
      expect(await until(commitCount, (v) => v > 0)).toBeGreaterThan(0);
    } finally {
      release();
      await runner.stop(5_000);
    }
  }, 60_000);
});
