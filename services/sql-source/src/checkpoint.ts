import { randomUUID } from 'node:crypto';
import type { KafkaClient, OutboundRecord, StreamAdmin } from '@fleetstream/stream';
import type { Logger } from 'pino';
import { parsePosition, type Position } from './position.ts';

/** The checkpoint record of a position: key = source name, value = the position as JSON. */
export function checkpointRecord(topic: string, sourceName: string, position: Position): OutboundRecord {
  return { topic, key: sourceName, value: JSON.stringify(position) };
}

/** Creates the compacted checkpoint topic when it is missing (topology normally owns it). */
export async function ensureCheckpointTopic(admin: StreamAdmin, topic: string): Promise<void> {
  const topics = await admin.listTopics();
  if (topics.includes(topic)) return;
  try {
    await admin.createTopics([{ topic, numPartitions: 1, replicationFactor: 1, configs: { 'cleanup.policy': 'compact' } }]);
  } catch (err) {
    if (!/exist/i.test((err as Error).message)) throw err;
  }
}

/**
 * Reads the checkpoint topic to its end with a throwaway read_committed consumer (random group, no
 * commits) and returns the last committed position of `sourceName` (null when none or tombstoned).
 *
 * The end is the high watermark fetched first (after our transactional producer fenced any zombie,
 * so no transaction stays open). A partition is done when a batch reaches high - 1; transaction
 * markers are skipped silently by the client, so a partition whose tail holds only markers is
 * considered done after `idleMs` without progress.
 */
export async function readCheckpoint(
  kafka: KafkaClient,
  admin: StreamAdmin,
  opts: { topic: string; sourceName: string; idleMs: number; logger: Logger },
): Promise<Position | null> {
  const ends = new Map<number, bigint>();
  for (const p of await admin.fetchTopicOffsets(opts.topic)) {
    if (BigInt(p.high) > BigInt(p.low)) ends.set(p.partition, BigInt(p.high));
  }
  if (ends.size === 0) return null;
  const consumer = kafka.consumer({ groupId: `sql-source-checkpoint-reader-${randomUUID()}`, topics: [opts.topic], fromBeginning: true, readCommitted: true, maxWaitMs: 100 });
  let latest: Position | null = null;
  let lastProgress = Date.now();
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  await consumer.connect();
  consumer.onAssigned(() => (lastProgress = Date.now()));
  try {
    void consumer.run(async (batch) => {
      for (const r of batch.records) {
        if (r.key?.toString() !== opts.sourceName) continue;
        latest = r.value === null ? null : parsePosition(r.value.toString());
      }
      lastProgress = Date.now();
      const end = ends.get(batch.partition);
      if (end !== undefined && BigInt(batch.lastOffset) + 1n >= end) ends.delete(batch.partition);
      if (ends.size === 0) finish();
    });
    const idle = setInterval(() => {
      if (Date.now() - lastProgress >= opts.idleMs) {
        opts.logger.warn({ topic: opts.topic, partitions: [...ends.keys()] }, 'checkpoint read stopped idle before the high watermark (transaction markers at the tail)');
        finish();
      }
    }, Math.min(250, opts.idleMs));
    await done;
    clearInterval(idle);
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
  return latest;
}
