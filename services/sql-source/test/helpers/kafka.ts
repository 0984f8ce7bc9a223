import { collectTopic, readTopic, type ReadRecord as KitRecord } from '@fleetstream/test-kit';

export { brokers, createTopics, deleteTopics, suffix, waitFor } from '@fleetstream/test-kit';

/** A record as the sql-source tests read it: key and value as text (null for a tombstone). */
export interface ReadRecord {
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
  offset: string;
}

const asText = (r: KitRecord): ReadRecord => ({ key: r.key, value: r.value?.toString() ?? null, headers: r.headers, offset: r.offset });

/** A read_committed reader collecting every record of a topic from the beginning, until `stop`. */
export async function collect(topic: string): Promise<{ records: ReadRecord[]; stop: () => Promise<void> }> {
  const records: ReadRecord[] = [];
  const collector = await collectTopic(topic, (read) => {
    for (let i = records.length; i < read.length; i++) records.push(asText(read[i]!));
  });
  return { records, stop: () => collector.stop() };
}

/**
 * Every committed record of a topic, read to its end offsets of now. Called after the source
 * stopped (its last transaction ended), it is all the source ever wrote: a duplicate cannot
 * arrive later, so no wait is needed to prove there is none.
 */
export async function readToEnd(topic: string): Promise<ReadRecord[]> {
  return (await readTopic(topic, { timeoutMs: 120_000 })).map(asText);
}
