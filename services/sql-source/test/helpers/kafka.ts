import kafkajs from 'kafkajs';
import { randomUUID } from 'node:crypto';

const { Kafka, logLevel } = kafkajs;

export const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');

const kafka = new Kafka({ clientId: 'sql-source-test', brokers: BROKERS, logLevel: logLevel.NOTHING });

export interface ReadRecord {
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
  offset: string;
}

/** Creates topics (1 partition) for a test; compacted ones for checkpoints. */
export async function createTopics(topics: { topic: string; compact?: boolean }[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: topics.map((t) => ({ topic: t.topic, numPartitions: 1, replicationFactor: 1, configEntries: t.compact ? [{ name: 'cleanup.policy', value: 'compact' }] : [] })),
    });
  } finally {
    await admin.disconnect();
  }
}

export async function deleteTopics(topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics }).catch(() => undefined);
  await admin.disconnect();
}

/** A read_committed consumer collecting every record of a topic from the beginning. */
export async function collect(topic: string): Promise<{ records: ReadRecord[]; stop: () => Promise<void> }> {
  const consumer = kafka.consumer({ groupId: `sql-source-test-${randomUUID()}`, readUncommitted: false, maxWaitTimeInMs: 100 });
  const records: ReadRecord[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(message.headers ?? {})) if (v !== undefined) headers[k] = String(Array.isArray(v) ? v[v.length - 1] : v);
      records.push({ key: message.key?.toString() ?? null, value: message.value?.toString() ?? null, headers, offset: message.offset });
    },
  });
  return { records, stop: () => consumer.disconnect() };
}

/** Resolves when `predicate` holds, polling every 50 ms; rejects with `what` after `timeoutMs`. */
export async function waitFor(predicate: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const suffix = () => randomUUID().replace(/-/g, '').slice(0, 10);
