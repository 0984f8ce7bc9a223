import { readTopic as readRecords } from '@fleetstream/test-kit';

export { brokers, createTopics, deleteTopics, suffix } from '@fleetstream/test-kit';

export interface ReadRecord {
  key: string;
  value: Buffer;
  headers: Record<string, string>;
  partition: number;
}

/** Every record of the topic now (up to the high watermarks at the call); the gateway writes no tombstones. */
export async function readTopic(topic: string, timeoutMs = 60_000): Promise<ReadRecord[]> {
  const records = await readRecords(topic, { timeoutMs });
  return records.map((r) => ({ key: r.key ?? '', value: r.value ?? Buffer.alloc(0), headers: r.headers, partition: r.partition }));
}
