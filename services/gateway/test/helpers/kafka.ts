import { randomUUID } from 'node:crypto';
import kafkajs from 'kafkajs';

export const brokers = () => (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
export const suffix = () => randomUUID().slice(0, 8);
const kafka = () => new kafkajs.Kafka({ clientId: 'gateway-test', brokers: brokers(), logLevel: kafkajs.logLevel.NOTHING });

export async function createTopics(topics: string[], partitions = 6): Promise<void> {
  const admin = kafka().admin();
  await admin.connect();
  await admin.createTopics({ topics: topics.map((topic) => ({ topic, numPartitions: partitions })), waitForLeaders: true });
  await admin.disconnect();
}

export async function deleteTopics(topics: string[]): Promise<void> {
  const admin = kafka().admin();
  await admin.connect();
  await admin.deleteTopics({ topics }).catch(() => undefined);
  await admin.disconnect();
}

export interface ReadRecord {
  key: string;
  value: Buffer;
  headers: Record<string, string>;
  partition: number;
}

/** Every record of the topic now (reads up to the high watermarks summed at the call). */
export async function readTopic(topic: string, timeoutMs = 60_000): Promise<ReadRecord[]> {
  const k = kafka();
  const admin = k.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const total = offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  const out: ReadRecord[] = [];
  if (total === 0) return out;
  const consumer = k.consumer({ groupId: `reader-${suffix()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`read ${out.length} of ${total} records of ${topic}`)), timeoutMs);
    void consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          const headers: Record<string, string> = {};
          for (const [h, v] of Object.entries(m.headers ?? {})) headers[h] = String(v);
          out.push({ key: m.key?.toString() ?? '', value: m.value ?? Buffer.alloc(0), headers, partition: batch.partition });
        }
        if (out.length >= total) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return out;
}
