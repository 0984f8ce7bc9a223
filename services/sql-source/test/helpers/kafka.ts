import { collectTopic } from '@fleetstream/test-kit';

export { brokers, createTopics, deleteTopics, suffix, waitFor } from '@fleetstream/test-kit';

/** A record as the sql-source tests read it: key and value as text (null for a tombstone). */
export interface ReadRecord {
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
  offset: string;
}

/** A read_committed reader collecting every record of a topic from the beginning, until `stop`. */
export async function collect(topic: string): Promise<{ records: ReadRecord[]; stop: () => Promise<void> }> {
  const records: ReadRecord[] = [];
  const collector = await collectTopic(topic, (read) => {
    for (let i = records.length; i < read.length; i++) {
      const r = read[i]!;
      records.push({ key: r.key, value: r.value?.toString() ?? null, headers: r.headers, offset: r.offset });
    }
  });
  return { records, stop: () => collector.stop() };
}
