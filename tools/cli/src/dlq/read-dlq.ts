import { randomUUID } from 'node:crypto';
import type { InboundRecord, KafkaClient } from '@fleetstream/stream';

/**
 * Reads a topic from the beginning up to the high watermarks taken at the call, then stops.
 * Uses a throw-away consumer group that never commits (so nothing is remembered server-side and
 * the empty group expires on its own). `keep` decides per record whether it is kept in memory, so
 * a large DLQ is scanned without holding values that the filters drop.
 */
export async function readTopicToEnd(
  kafka: KafkaClient,
  topic: string,
  keep: (record: InboundRecord) => boolean,
  options: { idleTimeoutMs?: number } = {},
): Promise<{ scanned: number; records: InboundRecord[] }> {
  const admin = kafka.admin();
  await admin.connect();
  let ends: Map<number, bigint>;
  try {
    // fetching offsets of a missing topic retries for a long time; say it at once instead
    if (!(await admin.listTopics()).includes(topic)) throw new Error(`topic ${topic} does not exist`);
    const offsets = await admin.fetchTopicOffsets(topic);
    // partitions with nothing left to read are done before we start
    ends = new Map(offsets.filter((p) => BigInt(p.high) > BigInt(p.low)).map((p) => [p.partition, BigInt(p.high)]));
  } finally {
    await admin.disconnect();
  }
  const records: InboundRecord[] = [];
  let scanned = 0;
  if (ends.size === 0) return { scanned, records };
  const consumer = kafka.consumer({ groupId: `fleetstream-dlq-${randomUUID()}`, topics: [topic], fromBeginning: true });
  await consumer.connect();
  try {
    await new Promise<void>((resolve, rejectOnce) => {
      const idleMs = options.idleTimeoutMs ?? 30_000;
      let idle = setTimeout(onIdle, idleMs);
      const reject = (err: unknown) => {
        clearTimeout(idle);
        rejectOnce(err);
      };
      function onIdle() {
        reject(new Error(`no progress reading ${topic} for ${idleMs} ms (${ends.size} partitions not at their end)`));
      }
      consumer.onCrash((err, restarting) => {
        if (!restarting) reject(err);
      });
      consumer
        .run(async (batch, control) => {
          const end = ends.get(batch.partition);
          if (end === undefined) return;
          clearTimeout(idle);
          idle = setTimeout(onIdle, idleMs);
          for (const r of batch.records) {
            if (BigInt(r.offset) >= end) break;
            scanned += 1;
            if (keep(r)) records.push(r);
          }
          control.resolveOffset(batch.lastOffset);
          // lastOffset covers transaction markers past the last record
          if (BigInt(batch.lastOffset) + 1n >= end) {
            ends.delete(batch.partition);
            if (ends.size === 0) {
              clearTimeout(idle);
              resolve();
            }
          }
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
  records.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
  return { scanned, records };
}
