/**
 * @fleetstream/test-kit — what the integration tests of every workspace need of the real Kafka
 * broker the test run starts once (tools/devstack, `KAFKA_BROKERS`): unique names, topics,
 * producing, reading a topic back, committed offsets, waiting for a condition, a /metrics value.
 * Tests only: no service imports it, and it uses plain kafkajs so that it sees the broker as any
 * client would, not through the libs/stream code under test.
 *
 * @example
 * const topic = `in-${suffix()}`;
 * await createTopics([{ topic, partitions: 4 }]);
 * await produce(topic, [{ key: 'dev-1', value: '{"n":1}' }]);
 * const records = await readTopic(topic, { count: 1 });
 */
import { randomUUID } from 'node:crypto';
import kafkajs from 'kafkajs';

/** The brokers of the run (`KAFKA_BROKERS`, as the devstack's jest global setup exports it). */
export const brokers = (): string[] => (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');

/** A short random string for topic, group and keyspace names: tests never share them. */
export const suffix = (): string => randomUUID().replace(/-/g, '').slice(0, 10);

/** A plain kafkajs client on the run's brokers, its own logging off (tests assert, not log). */
export function rawKafka(clientId = 'fleetstream-test'): kafkajs.Kafka {
  return new kafkajs.Kafka({ clientId, brokers: brokers(), logLevel: kafkajs.logLevel.NOTHING });
}

/** A topic of a test: `partitions` (1 by default) and, for tables and checkpoints, compaction. */
export interface TestTopic {
  topic: string;
  partitions?: number;
  compact?: boolean;
}

/** Creates the topics (replication 1, `partitions` unless a topic says) and waits for their leaders. */
export async function createTopics(
  topics: readonly (string | TestTopic)[],
  partitions = 1,
): Promise<void> {
  const admin = rawKafka().admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: topics.map((t) => {
        const spec = typeof t === 'string' ? { topic: t } : t;
        return {
          topic: spec.topic,
          numPartitions: spec.partitions ?? partitions,
          replicationFactor: 1,
          configEntries: spec.compact ? [{ name: 'cleanup.policy', value: 'compact' }] : [],
        };
      }),
    });
  } finally {
    await admin.disconnect();
  }
}

/** Deletes the topics; ones already gone are not an error (cleanup must not fail a test). */
export async function deleteTopics(topics: readonly string[]): Promise<void> {
  const admin = rawKafka().admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [...topics] }).catch(() => undefined);
  await admin.disconnect();
}

/** A record to produce: a null value is a tombstone. */
export interface TestRecord {
  key?: string | null;
  value: string | Buffer | null;
  headers?: Record<string, string>;
}

/** Produces with an idempotent producer and acks=all, in sends of `chunk` records. */
export async function produce(
  topic: string,
  records: readonly TestRecord[],
  chunk = 2_000,
): Promise<void> {
  const producer = rawKafka().producer({ idempotent: true });
  await producer.connect();
  try {
    for (let i = 0; i < records.length; i += chunk) {
      await producer.send({
        topic,
        acks: -1,
        messages: records.slice(i, i + chunk).map((r) => ({ ...r })),
      });
    }
  } finally {
    await producer.disconnect();
  }
}

/** The offsets a topic holds now, summed over its partitions (high - low): its record count for a plain producer (transaction markers take offsets too). */
export async function topicSize(topic: string): Promise<number> {
  const admin = rawKafka().admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce(
      (n, p) => n + Number(p.high) - Number(p.low),
      0,
    );
  } finally {
    await admin.disconnect();
  }
}

/** A record read back: key as text, value as bytes (null for a tombstone), headers as text. */
export interface ReadRecord {
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
  partition: number;
  offset: string;
}

/** Live reading of a topic from the beginning: `records` grows until `stop`. */
export interface TopicCollector {
  readonly records: ReadRecord[];
  /** Partition -> next offset to read: past every record, transaction marker and aborted record read so far. */
  readonly positions: ReadonlyMap<number, bigint>;
  stop(): Promise<void>;
}

/**
 * Starts reading a topic from its beginning in a throwaway group (read_committed: aborted
 * transactions are never seen), appending to `records` as batches arrive; `onBatch` runs after
 * each batch, including one of transaction markers or aborted records only (no record added).
 */
export async function collectTopic(
  topic: string,
  onBatch?: (records: readonly ReadRecord[], positions: ReadonlyMap<number, bigint>) => void,
): Promise<TopicCollector> {
  const consumer = rawKafka().consumer({ groupId: `reader-${suffix()}`, maxWaitTimeInMs: 100 });
  const records: ReadRecord[] = [];
  const positions = new Map<number, bigint>();
  // kafkajs reports every batch here, also those it does not hand to eachBatch (markers only).
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    const next = BigInt(payload.lastOffset) + 1n;
    if (next > (positions.get(payload.partition) ?? 0n)) positions.set(payload.partition, next);
    onBatch?.(records, positions);
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(m.headers ?? {})) {
          if (v !== undefined) headers[k] = String(Array.isArray(v) ? v[v.length - 1] : v);
        }
        records.push({
          key: m.key?.toString() ?? null,
          value: m.value,
          headers,
          partition: batch.partition,
          offset: m.offset,
        });
      }
    },
  });
  return { records, positions, stop: () => consumer.disconnect() };
}

/** Next offset per partition of a topic now (read_committed: the last stable offset, below any open transaction). */
export async function endOffsets(topic: string): Promise<Map<number, bigint>> {
  const admin = rawKafka().admin();
  await admin.connect();
  try {
    return new Map(
      (await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)]),
    );
  } finally {
    await admin.disconnect();
  }
}

/** When {@link readTopic} stops. */
export interface ReadOptions {
  /** Once this many records are read. */
  count?: number;
  /** Once this holds for the records read so far. */
  until?: (records: readonly ReadRecord[]) => boolean;
  /**
   * Without `count` or `until`: once every partition is read to its end offset of the moment of
   * the call (every record there now; transaction markers count as read, so transactional topics
   * end too). Once the writers have stopped, what this returns is all they ever wrote: a
   * duplicate cannot arrive later.
   */
  timeoutMs?: number;
  /** At the timeout: 'reject' (the default, naming how many were read) or 'return' what was read. */
  onTimeout?: 'reject' | 'return';
}

/** Reads a topic from the beginning until `count`, `until` or (neither given) its current end. */
export async function readTopic(topic: string, options: ReadOptions = {}): Promise<ReadRecord[]> {
  const { timeoutMs = 60_000, onTimeout = 'reject', until } = options;
  const want = options.count;
  const ends = want === undefined && until === undefined ? await endOffsets(topic) : undefined;
  if (ends && [...ends.values()].every((end) => end === 0n)) return [];
  const atEnd = (positions: ReadonlyMap<number, bigint>) =>
    ends === undefined ||
    [...ends].every(([partition, end]) => (positions.get(partition) ?? 0n) >= end);
  const done = (records: readonly ReadRecord[], positions: ReadonlyMap<number, bigint>) =>
    (want === undefined || records.length >= want) &&
    (until === undefined || until(records)) &&
    atEnd(positions);
  let settle!: (late: boolean) => void;
  const outcome = new Promise<boolean>((resolve) => (settle = resolve));
  const collector = await collectTopic(topic, (records, positions) => {
    if (done(records, positions)) settle(false);
  });
  const timer = setTimeout(() => settle(true), timeoutMs);
  try {
    if ((await outcome) && onTimeout === 'reject') {
      throw new Error(
        `read ${collector.records.length}${want === undefined ? '' : ` of ${want}`} records of ${topic} in ${timeoutMs} ms${ends ? ` (end offsets ${[...ends].map(([p, e]) => `${p}:${e}`).join(' ')}, read to ${[...collector.positions].map(([p, e]) => `${p}:${e}`).join(' ')})` : ''}`,
      );
    }
    return [...collector.records];
  } finally {
    clearTimeout(timer);
    await collector.stop();
  }
}

/** Committed offsets of a group on a topic: partition -> next offset to read (-1: none). */
export async function committedOffsets(
  groupId: string,
  topic: string,
): Promise<Map<number, bigint>> {
  const admin = rawKafka().admin();
  await admin.connect();
  try {
    const [res] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return new Map((res?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
  } finally {
    await admin.disconnect();
  }
}

/**
 * Polls `probe` until it returns something other than `false`, `undefined` or `null` and resolves
 * with that; a probe that throws is polled again (a restarting server refuses for a while). After
 * `timeoutMs` rejects naming `what` and the probe's last error.
 */
export async function waitFor<T>(
  probe: () => T | Promise<T>,
  what: string,
  timeoutMs = 30_000,
  intervalMs = 50,
): Promise<Exclude<T, false | undefined | null>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== false && value !== undefined && value !== null)
        return value as Exclude<T, false | undefined | null>;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const cause =
        lastError === undefined
          ? ''
          : ` (last error: ${lastError instanceof Error ? lastError.message : String(lastError)})`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * A metric's value from a service's /metrics (Prometheus text): the sum of its series whose labels
 * include `labels` (all series when none are given); 0 when it has none.
 */
export async function scrapeMetric(
  port: number,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!(line.startsWith(`${name}{`) || line.startsWith(`${name} `))) continue;
    const brace = line.indexOf('{');
    const labelText = brace === name.length ? line.slice(brace + 1, line.lastIndexOf('}')) : '';
    if (wanted.every((w) => labelText.split(',').includes(w)))
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

export {
  killMidStream,
  startServiceProcess,
  suiteKafkaClientEnv,
  expectSuiteKafkaClient,
  tally,
  tallyOutputs,
  type KillRun,
  type ServiceProcess,
  type Tally,
} from './service-process.ts';
export { exactlyOnceKillTests, type KillRunResult, type RunWithKill } from './kill-tests.ts';
