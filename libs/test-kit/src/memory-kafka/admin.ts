import type { StreamAdmin } from '@fleetstream/stream';
import type { MemoryKafka } from './memory-kafka.ts';

/** The admin port over a {@link MemoryKafka}: replication factor is always 1, the low watermark 0. */
export function memoryAdmin(kafka: MemoryKafka): StreamAdmin {
  return {
    connect: async () => undefined,
    disconnect: async () => undefined,
    listTopics: async () => kafka.topicNames(),
    // Like kafkajs' createTopics, a topic that exists is not an error.
    createTopics: async (specs) => {
      for (const s of specs)
        if (!kafka.hasTopic(s.topic)) kafka.createTopic(s.topic, s.numPartitions, s.configs);
    },
    createPartitions: async (topic, count) => kafka.createPartitions(topic, count),
    deleteTopics: async (topics) => {
      for (const t of topics) kafka.deleteTopic(t);
    },
    describeTopics: async (topics) =>
      topics.map((topic) => ({
        topic,
        partitions: kafka.partitions(topic).length,
        replicationFactor: 1,
      })),
    describeConfigs: async (topics, keys) =>
      Object.fromEntries(
        topics.map((t) => [
          t,
          Object.fromEntries(
            Object.entries(kafka.configs(t)).filter(([k]) => !keys || keys.includes(k)),
          ),
        ]),
      ),
    // AlterConfigs replaces the topic's dynamic configs, as the kafkajs adapter documents.
    alterConfigs: async (topic, configs) => {
      const current = kafka.configs(topic);
      for (const k of Object.keys(current)) delete current[k];
      Object.assign(current, configs);
    },
    fetchTopicOffsets: async (topic) =>
      [...kafka.endOffsets(topic)].map(([partition, end]) => ({
        partition,
        high: String(end),
        low: '0',
      })),
    fetchCommitted: async (groupId, topic) => {
      const committed = kafka.committed(groupId, topic);
      return kafka
        .partitions(topic)
        .map((log) => ({
          partition: log.partition,
          offset: String(committed.get(log.partition) ?? -1n),
        }));
    },
  };
}
