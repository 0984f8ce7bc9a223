import { randomUUID } from 'node:crypto';
import type { InboundRecord, KafkaClient, StreamAdmin } from '@fleetstream/stream';

/**
 * Reads `topics` from the beginning up to their end offsets at the time of the call, with a
 * throw-away consumer group, calling `onRecord` for each record. Gives up waiting after `idleMs`
 * without progress (a partition ending in transaction markers may never report its last offset).
 */
export async function readTopics(kafka: KafkaClient, admin: StreamAdmin, topics: string[], onRecord: (r: InboundRecord) => void, idleMs = 10_000): Promise<{ complete: boolean }> {
  const ends = new Map<string, bigint>();
  for (const topic of topics) {
    for (const o of await admin.fetchTopicOffsets(topic)) {
      if (BigInt(o.high) > BigInt(o.low)) ends.set(`${topic}:${o.partition}`, BigInt(o.high));
    }
  }
  if (ends.size === 0) return { complete: true };
  const total = ends.size;
  const consumer = kafka.consumer({ groupId: `fleetstream-chaos-reader-${randomUUID()}`, topics, fromBeginning: true, partitionsConsumedConcurrently: 4, sessionTimeoutMs: 30_000 });
  await consumer.connect();
  let lastProgress = Date.now();
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  // Not awaited: a group join that hangs (a coordinator still loading after a broker restart) must
  // fall under the idle deadline too.
  const running = consumer.run(async (batch, control) => {
    const key = `${batch.topic}:${batch.partition}`;
    const end = ends.get(key);
    for (const r of batch.records) if (end !== undefined && BigInt(r.offset) < end) onRecord(r);
    // Moves the fetch position past the batch (auto-resolve is off in the runtime's client).
    control.resolveOffset(batch.lastOffset);
    lastProgress = Date.now();
    if (end !== undefined && BigInt(batch.lastOffset) + 1n >= end) {
      ends.delete(key);
      if (ends.size === 0) done();
    }
  });
  running.catch(() => undefined);
  let complete = true;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      if (ends.size === 0) {
        clearInterval(timer);
        resolve();
      } else if (Date.now() - lastProgress > (ends.size === total ? 6 * idleMs : idleMs)) {
        complete = false;
        clearInterval(timer);
        resolve();
      }
    }, 200);
    void finished.then(() => {
      clearInterval(timer);
      resolve();
    });
  });
  await Promise.race([consumer.disconnect().catch(() => undefined), new Promise((r) => setTimeout(r, 15_000))]);
  return { complete };
}
