import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { StreamError } from '../src/errors.ts';
import type { Headers, InboundRecord, OutboundRecord } from '../src/types.ts';
import { slicesByBytes } from '../src/kafka/kafkajs-client.ts';
import type { Assignment, ConsumerOptions, KafkaClient, KafkaConnection, ProducerOptions, StreamAdmin, StreamConsumer, StreamProducer, TopicSpec } from '../src/kafka/types.ts';

/**
 * The part of @confluentinc/kafka-javascript's KafkaJS-compatible API this adapter uses. The package
 * is not a dependency (its native librdkafka binding is downloaded from GitHub at install time, or
 * built from source: see the README), so its types are declared here and the module is passed in.
 */
export interface ConfluentModule {
  KafkaJS: { Kafka: new (config: Record<string, unknown>) => ConfluentKafka };
  librdkafkaVersion: string;
}

interface ConfluentKafka {
  consumer(config: Record<string, unknown>): ConfluentConsumer;
  producer(config: Record<string, unknown>): ConfluentProducer;
  admin(config?: Record<string, unknown>): ConfluentAdmin;
}

interface ConfluentMessage {
  key: Buffer | null;
  value: Buffer | null;
  timestamp: string;
  offset: string;
  headers?: Record<string, Buffer | string | (Buffer | string)[] | undefined>;
}

interface ConfluentBatchPayload {
  batch: { topic: string; partition: number; highWatermark: string; messages: ConfluentMessage[]; lastOffset(): string };
  heartbeat(): Promise<void>;
  resolveOffset(offset: string): void;
  isStale(): boolean;
}

interface ConfluentConsumer {
  connect(): Promise<void>;
  subscribe(options: { topics: string[] }): Promise<void>;
  run(options: { partitionsConsumedConcurrently: number; eachBatchAutoResolve: boolean; eachBatch: (payload: ConfluentBatchPayload) => Promise<void> }): Promise<void>;
  commitOffsets(offsets: { topic: string; partition: number; offset: string }[]): Promise<void>;
  disconnect(): Promise<void>;
}

interface ConfluentProducer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  sendBatch(options: { topicMessages: { topic: string; messages: { key?: Buffer | string | null; value: Buffer | string | null; headers?: Headers; partition?: number }[] }[] }): Promise<unknown>;
}

interface ConfluentAdmin {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  listTopics(): Promise<string[]>;
  createTopics(options: { topics: { topic: string; numPartitions: number; replicationFactor: number; configEntries: { name: string; value: string }[] }[] }): Promise<boolean>;
  deleteTopics(options: { topics: string[] }): Promise<void>;
  fetchTopicMetadata(options: { topics: string[] }): Promise<{ name: string; partitions: { replicas: number[] }[] }[]>;
  fetchTopicOffsets(topic: string): Promise<{ partition: number; high: string; low: string }[]>;
  fetchOffsets(options: { groupId: string; topics: string[] }): Promise<{ topic: string; partitions: { partition: number; offset: string }[] }[]>;
}

/** librdkafka's rebalance event codes (rdkafka.h). */
const ERR__ASSIGN_PARTITIONS = -175;

/**
 * Loads @confluentinc/kafka-javascript from `dir` (a folder whose node_modules holds it, e.g. the
 * bench's cache) or, without `dir`, from the normal resolution; undefined when it is not there.
 */
export function loadConfluentModule(dir?: string): ConfluentModule | undefined {
  const require = createRequire(dir ? join(dir, 'package.json') : import.meta.url);
  try {
    return require('@confluentinc/kafka-javascript') as ConfluentModule;
  } catch {
    return undefined;
  }
}

/**
 * Creates a client on @confluentinc/kafka-javascript (librdkafka) through its KafkaJS-compatible API,
 * behind our narrow interface. Measured against kafkajs in bench/stage-vs-bare.ts; kafkajs stays the
 * default. Keys go to partitions by murmur2 (librdkafka's `murmur2_random`, the KafkaJS API's
 * default), so a device lands on the same partition as with kafkajs.
 *
 * Not adapted: transactions, createPartitions, describeConfigs and alterConfigs (STREAM_CONFIG_INVALID).
 *
 * @example
 * const client = createConfluentClient({ brokers: ['127.0.0.1:9092'], clientId: 'bench' }, loadConfluentModule(cacheDir)!);
 */
export function createConfluentClient(connection: KafkaConnection, module: ConfluentModule, logger?: Logger): KafkaClient {
  const log = logger?.child({ component: 'confluent-kafka' });
  const common: Record<string, unknown> = {
    clientId: connection.clientId,
    brokers: connection.brokers,
    connectionTimeout: connection.connectionTimeoutMs ?? 3000,
    requestTimeout: connection.requestTimeoutMs ?? 30_000,
    logLevel: 1, // ERROR
    logger: quietLogger(log),
  };
  // The library checks these keys by presence, so they are set only when used. A CA bundle is not
  // mapped (librdkafka wants ssl.ca.location): TLS uses the system's trust store.
  if (connection.ssl) common.ssl = true;
  if (connection.sasl) common.sasl = connection.sasl;
  const kafka = new module.KafkaJS.Kafka({ kafkaJS: common });
  return {
    consumer: (options) => confluentConsumer(kafka, options),
    producer: (options) => confluentProducer(kafka, options ?? {}),
    admin: () => confluentAdmin(kafka.admin()),
  };
}

/** The KafkaJS-style logger the library asks for, writing errors and warnings to pino. */
function quietLogger(log?: Logger) {
  const logger = {
    info: () => undefined,
    debug: () => undefined,
    warn: (message: string) => log?.warn(message),
    error: (message: string) => log?.error(message),
    namespace: () => logger,
    setLogLevel: () => undefined,
  };
  return logger;
}

function toHeaders(headers: ConfluentMessage['headers']): Headers {
  const out: Headers = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (v === undefined) continue;
    const one = Array.isArray(v) ? v[v.length - 1] : v;
    if (one !== undefined) out[k] = one.toString();
  }
  return out;
}

function confluentConsumer(kafka: ConfluentKafka, o: ConsumerOptions): StreamConsumer {
  const assignedListeners: ((a: Assignment) => void)[] = [];
  const rebalancingListeners: (() => void)[] = [];
  const consumer = kafka.consumer({
    kafkaJS: {
      groupId: o.groupId,
      fromBeginning: o.fromBeginning ?? true,
      autoCommit: false,
      sessionTimeout: o.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: o.heartbeatIntervalMs ?? 3_000,
      rebalanceTimeout: o.rebalanceTimeoutMs ?? 60_000,
      maxBytesPerPartition: o.maxBytesPerPartition ?? 1_048_576,
      maxBytes: o.maxBytes ?? 10_485_760,
      maxWaitTimeInMs: o.maxWaitMs ?? 500,
      readUncommitted: o.readCommitted === false,
    },
    // The KafkaJS API hands eachBatch 32 records by default; a fetch's worth is what kafkajs gives.
    'js.consumer.max.batch.size': -1,
    rebalance_cb: (err: { code: number }, assignment: { topic: string; partition: number }[]) => {
      if (err.code !== ERR__ASSIGN_PARTITIONS) {
        for (const l of rebalancingListeners) l();
        return;
      }
      const byTopic = new Map<string, number[]>();
      for (const { topic, partition } of assignment) byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
      const a: Assignment = [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
      for (const l of assignedListeners) l(a);
    },
  });
  return {
    connect: async () => {
      await consumer.connect();
      await consumer.subscribe({ topics: o.topics });
    },
    run: (handler) =>
      consumer.run({
        partitionsConsumedConcurrently: o.partitionsConsumedConcurrently ?? 4,
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, heartbeat, resolveOffset, isStale }) => {
          const records: InboundRecord[] = batch.messages.map((m) => ({
            topic: batch.topic,
            partition: batch.partition,
            offset: m.offset,
            key: m.key,
            value: m.value,
            headers: toHeaders(m.headers),
            timestamp: Number(m.timestamp),
          }));
          await handler({ topic: batch.topic, partition: batch.partition, records, highWatermark: batch.highWatermark, lastOffset: batch.lastOffset() }, { heartbeat, resolveOffset, isStale });
        },
      }),
    commit: async (offsets) => {
      try {
        await consumer.commitOffsets(offsets);
      } catch (err) {
        throw new StreamError('STREAM_COMMIT_FAILED', `commit of ${offsets.length} offsets failed: ${(err as Error).message}`, { retryable: true, cause: err });
      }
    },
    disconnect: () => consumer.disconnect(),
    onAssigned: (listener) => void assignedListeners.push(listener),
    onRebalancing: (listener) => void rebalancingListeners.push(listener),
    // The KafkaJS API has no crash event: librdkafka retries internally and reports through the logger.
    onCrash: () => undefined,
  };
}

function confluentProducer(kafka: ConfluentKafka, o: ProducerOptions): StreamProducer {
  const producer = kafka.producer({
    kafkaJS: { idempotent: true, acks: -1, compression: o.compression === 'gzip' ? 'gzip' : 'none', allowAutoTopicCreation: false, timeout: o.timeoutMs ?? 30_000 },
    // librdkafka batches on its own; a short linger lets one send's records share requests.
    'linger.ms': 5,
  });
  const send = async (records: OutboundRecord[]) => {
    if (records.length === 0) return;
    try {
      for (const slice of slicesByBytes(records, o.maxRequestBytes ?? 512 * 1024)) {
        const byTopic = new Map<string, { key?: Buffer | string | null; value: Buffer | string | null; headers?: Headers; partition?: number }[]>();
        for (const r of slice) {
          let list = byTopic.get(r.topic);
          if (!list) byTopic.set(r.topic, (list = []));
          list.push({ key: r.key, value: r.value, headers: r.headers, partition: r.partition });
        }
        await producer.sendBatch({ topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
      }
    } catch (err) {
      throw new StreamError('STREAM_PRODUCE_FAILED', `produce of ${records.length} records failed: ${(err as Error).message}`, { retryable: true, cause: err });
    }
  };
  return {
    connect: () => producer.connect(),
    disconnect: () => producer.disconnect(),
    send,
    transaction: () => Promise.reject(notAdapted('transactions')),
  };
}

const notAdapted = (what: string) => new StreamError('STREAM_CONFIG_INVALID', `${what} are not adapted on @confluentinc/kafka-javascript: use the kafkajs client`);

function confluentAdmin(admin: ConfluentAdmin): StreamAdmin {
  return {
    connect: () => admin.connect(),
    disconnect: () => admin.disconnect(),
    listTopics: () => admin.listTopics(),
    createTopics: async (specs: TopicSpec[]) => {
      await admin.createTopics({
        topics: specs.map((s) => ({
          topic: s.topic,
          numPartitions: s.numPartitions,
          replicationFactor: s.replicationFactor,
          configEntries: Object.entries(s.configs ?? {}).map(([name, value]) => ({ name, value })),
        })),
      });
    },
    createPartitions: () => Promise.reject(notAdapted('createPartitions calls')),
    deleteTopics: (topics) => admin.deleteTopics({ topics }),
    describeTopics: async (topics) => {
      const md = await admin.fetchTopicMetadata({ topics });
      return md.map((t) => ({ topic: t.name, partitions: t.partitions.length, replicationFactor: t.partitions[0]?.replicas.length ?? 0 }));
    },
    describeConfigs: () => Promise.reject(notAdapted('describeConfigs calls')),
    alterConfigs: () => Promise.reject(notAdapted('alterConfigs calls')),
    fetchTopicOffsets: async (topic) => (await admin.fetchTopicOffsets(topic)).map((p) => ({ partition: p.partition, high: p.high, low: p.low })),
    fetchCommitted: async (groupId, topic) => {
      const res = await admin.fetchOffsets({ groupId, topics: [topic] });
      return (res[0]?.partitions ?? []).map((p) => ({ partition: p.partition, offset: p.offset }));
    },
  };
}
