// Before kafkajs: it replaces two of kafkajs' modules in Node's cache (see the file).
import './kafkajs-fast-paths-applied.ts';
import kafkajs from 'kafkajs';
import type { IHeaders, KafkaMessage, Message } from 'kafkajs';
import type { Logger } from 'pino';
import { StreamError } from '../errors.ts';
import { backoffDelay } from '../backoff.ts';
import { withConnectError } from './connect-error.ts';
import type { Headers, InboundRecord, OutboundRecord } from '../types.ts';
import type {
  Assignment,
  ConsumerOptions,
  KafkaClient,
  KafkaConnection,
  ProducerOptions,
  StreamAdmin,
  StreamConsumer,
  StreamProducer,
  StreamTransaction,
  TopicSpec,
} from './types.ts';
import { applyKafkajsIdleTimerFix } from './kafkajs-idle-timer-fix.ts';

applyKafkajsIdleTimerFix();

const { Kafka, logLevel, CompressionTypes, Partitioners } = kafkajs;

silenceKafkajsTimerWarning();

/** kafkajs' warning for every idempotent producer whose retries are bounded, as ours are. */
const BOUNDED_RETRIES_WARNING = 'Limiting retries for the idempotent producer may invalidate EoS guarantees';

/**
 * The pino level of a kafkajs log entry (kafkajs logs at warn and error only here).
 * - A connection's "Response <api>" error is one broker answer carrying an error code (the group
 *   coordinator loading or moved, a leader not available yet: every start and rebalance has some);
 *   kafkajs retries the request or throws to its caller, who logs the outcome: a warning.
 * - The bounded-retries warning of every idempotent producer describes our design, not a fault, so
 *   it is info: when kafkajs gives up, the send fails with a retryable STREAM_PRODUCE_FAILED and the
 *   consumer runner sends the chunk again (at least once, as DESIGN says; a transaction is aborted
 *   and redone whole).
 * Every other kafkajs error (a connection failed, a consumer crashed) stays an error.
 */
export function kafkajsPinoLevel(level: number, namespace: string, message: string): 'error' | 'warn' | 'info' {
  if (level > logLevel.ERROR) return message === BOUNDED_RETRIES_WARNING ? 'info' : 'warn';
  return namespace === 'Connection' && message.startsWith('Response ') ? 'warn' : 'error';
}

/** Creates the default client: kafkajs behind our narrow interface. */
export function createKafkajsClient(connection: KafkaConnection, logger?: Logger): KafkaClient {
  const kafka = new Kafka({
    clientId: connection.clientId,
    brokers: connection.brokers,
    ssl: connection.ssl,
    sasl: connection.sasl as never,
    connectionTimeout: connection.connectionTimeoutMs ?? 3000,
    requestTimeout: connection.requestTimeoutMs ?? 30000,
    logLevel: logLevel.WARN,
    logCreator: () => (entry) => {
      // kafkajs logs through pino at warn/error only; its messages hold no payloads.
      if (!logger) return;
      const { message, ...extra } = entry.log;
      const fields = { component: 'kafkajs', kafkajs: entry.namespace, broker: extra.broker, groupId: extra.groupId, error: extra.error };
      logger[kafkajsPinoLevel(entry.level, entry.namespace, String(message))](fields, String(message));
    },
    retry: { initialRetryTime: 300, retries: 8, maxRetryTime: 10_000 },
  });
  const user = connection.sasl?.username;
  return {
    consumer: (options) => withConnectError(kafkajsConsumer(kafka, options), user),
    producer: (options) => withConnectError(kafkajsProducer(kafka, options ?? {}), user),
    admin: () => withConnectError(kafkajsAdmin(kafka), user),
    name: 'kafkajs',
  };
}

export function toHeaders(headers: IHeaders | undefined): Headers {
  const out: Headers = {};
  if (!headers) return out;
  // for…in, not Object.entries: this runs for every consumed record (no pair arrays to collect)
  for (const k in headers) {
    const v = headers[k];
    if (v === undefined) continue;
    const one = Array.isArray(v) ? v[v.length - 1] : v;
    if (one !== undefined) out[k] = one.toString();
  }
  return out;
}

/**
 * The records per topic, as kafkajs messages. An OutboundRecord already has a Message's fields
 * (key, value, headers, partition; kafkajs ignores `topic`), so the records are handed over as
 * they are instead of copied one object per record; one topic (the usual chunk) needs no map.
 */
function groupByTopic(records: OutboundRecord[]): { topic: string; messages: Message[] }[] {
  const first = records[0]?.topic;
  if (records.every((r) => r.topic === first)) return [{ topic: first!, messages: records as Message[] }];
  const byTopic = new Map<string, Message[]>();
  for (const r of records) {
    let list = byTopic.get(r.topic);
    if (!list) byTopic.set(r.topic, (list = []));
    list.push(r as Message);
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}

function sizeOf(v: Buffer | string | null): number {
  return v === null ? 0 : typeof v === 'string' ? Buffer.byteLength(v) : v.length;
}

/** Cuts records into consecutive slices whose estimated size stays under `maxBytes`. */
export function slicesByBytes(records: OutboundRecord[], maxBytes: number): OutboundRecord[][] {
  const slices: OutboundRecord[][] = [];
  let current: OutboundRecord[] = [];
  let bytes = 0;
  // The events of one input record share one headers object: its size is counted once.
  let lastHeaders: OutboundRecord['headers'];
  let headerBytes = 0;
  for (const r of records) {
    if (r.headers !== lastHeaders) {
      lastHeaders = r.headers;
      headerBytes = 0;
      // for…in, not Object.entries: no pair arrays per record
      if (r.headers) for (const k in r.headers) headerBytes += k.length + r.headers[k]!.length + 4;
    }
    const size = sizeOf(r.key) + sizeOf(r.value) + 70 + headerBytes;
    if (current.length > 0 && bytes + size > maxBytes) {
      slices.push(current);
      current = [];
      bytes = 0;
    }
    current.push(r);
    bytes += size;
  }
  if (current.length > 0) slices.push(current);
  return slices;
}

function toInbound(topic: string, partition: number, m: KafkaMessage): InboundRecord {
  return { topic, partition, offset: m.offset, key: m.key, value: m.value, headers: toHeaders(m.headers), timestamp: Number(m.timestamp) };
}

function kafkajsConsumer(kafka: InstanceType<typeof Kafka>, o: ConsumerOptions): StreamConsumer {
  const consumer = kafka.consumer({
    groupId: o.groupId,
    sessionTimeout: o.sessionTimeoutMs ?? 30_000,
    heartbeatInterval: o.heartbeatIntervalMs ?? 3_000,
    rebalanceTimeout: o.rebalanceTimeoutMs ?? 60_000,
    maxBytesPerPartition: o.maxBytesPerPartition ?? 1_048_576,
    maxBytes: o.maxBytes ?? 10_485_760,
    maxWaitTimeInMs: o.maxWaitMs ?? 500,
    minBytes: o.minBytes ?? 1,
    readUncommitted: o.readCommitted === false,
    retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 10_000 },
  });
  const { GROUP_JOIN, REBALANCING, CRASH } = consumer.events;
  return {
    connect: async () => {
      await consumer.connect();
      for (const topic of o.topics) await consumer.subscribe({ topic, fromBeginning: o.fromBeginning ?? true });
    },
    run: (handler) =>
      consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: o.partitionsConsumedConcurrently ?? 4,
        eachBatch: async ({ batch, heartbeat, resolveOffset, isStale }) => {
          const { topic, partition, messages } = batch;
          const records = new Array<InboundRecord>(messages.length);
          for (let i = 0; i < messages.length; i++) records[i] = toInbound(topic, partition, messages[i]!);
          await handler(
            { topic: batch.topic, partition: batch.partition, records, highWatermark: batch.highWatermark, lastOffset: batch.lastOffset() },
            { heartbeat, resolveOffset, isStale },
          );
        },
      }),
    commit: (offsets) => consumer.commitOffsets(offsets),
    disconnect: () => consumer.disconnect(),
    onAssigned: (listener) => {
      consumer.on(GROUP_JOIN, (e) => {
        const assignment: Assignment = Object.entries(e.payload.memberAssignment).map(([topic, partitions]) => ({ topic, partitions: partitions as number[] }));
        listener(assignment);
      });
    },
    onRebalancing: (listener) => {
      consumer.on(REBALANCING, () => listener());
    },
    onCrash: (listener) => {
      consumer.on(CRASH, (e) => listener(e.payload.error, e.payload.restart));
    },
  };
}

function kafkajsProducer(kafka: InstanceType<typeof Kafka>, o: ProducerOptions): StreamProducer {
  const producer = kafka.producer({
    // kafkajs' default since 2.0, the Java client's murmur2 partitioning (a key lands where Kafka's
    // own clients put it); named so kafkajs does not warn about the change at every start.
    createPartitioner: Partitioners.DefaultPartitioner,
    idempotent: true,
    maxInFlightRequests: o.transactionalId ? 1 : 5,
    transactionalId: o.transactionalId,
    allowAutoTopicCreation: false,
    transactionTimeout: 60_000,
  });
  const compression = o.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None;
  const timeout = o.timeoutMs ?? 30_000;
  const send = async (records: OutboundRecord[]) => {
    if (records.length === 0) return;
    try {
      // One request per slice of at most maxRequestBytes, in order, so a large chunk never
      // exceeds the broker's message.max.bytes (which would fail for good, not back-pressure).
      for (const slice of slicesByBytes(records, o.maxRequestBytes ?? 512 * 1024)) {
        await producer.sendBatch({ topicMessages: groupByTopic(slice), acks: -1, compression, timeout });
      }
    } catch (err) {
      throw new StreamError('STREAM_PRODUCE_FAILED', `produce of ${records.length} records failed: ${(err as Error).message}`, { retryable: true, cause: err });
    }
  };
  return {
    connect: () => producer.connect(),
    disconnect: () => producer.disconnect(),
    send,
    transaction: async (): Promise<StreamTransaction> => {
      const tx = await producer.transaction();
      return {
        send: async (records) => {
          for (const slice of slicesByBytes(records, o.maxRequestBytes ?? 512 * 1024)) {
            await tx.sendBatch({ topicMessages: groupByTopic(slice), acks: -1, compression, timeout });
          }
        },
        sendOffsets: (groupId, offsets) => {
          const topics = new Map<string, { partition: number; offset: string }[]>();
          for (const { topic, partition, offset } of offsets) {
            let list = topics.get(topic);
            if (!list) topics.set(topic, (list = []));
            list.push({ partition, offset });
          }
          return tx.sendOffsets({ consumerGroupId: groupId, topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })) });
        },
        commit: () => tx.commit(),
        abort: () => tx.abort(),
      };
    },
  };
}

function kafkajsAdmin(kafka: InstanceType<typeof Kafka>): StreamAdmin {
  const admin = kafka.admin();
  return {
    connect: () => admin.connect(),
    disconnect: () => admin.disconnect(),
    listTopics: () => admin.listTopics(),
    // Idempotent reads and writes are retried on retriable errors (whileRetriable); kafkajs'
    // createTopics resolves false for a topic that exists, so a retry after a success is harmless.
    createTopics: async (specs: TopicSpec[]) => {
      await whileRetriable(() =>
        admin.createTopics({
          waitForLeaders: true,
          topics: specs.map((s) => ({
            topic: s.topic,
            numPartitions: s.numPartitions,
            replicationFactor: s.replicationFactor,
            configEntries: Object.entries(s.configs ?? {}).map(([name, value]) => ({ name, value })),
          })),
        }),
      );
    },
    createPartitions: (topic, count) => admin.createPartitions({ topicPartitions: [{ topic, count }] }).then(() => undefined),
    deleteTopics: (topics) => admin.deleteTopics({ topics }),
    describeTopics: async (topics) => {
      const md = await whileRetriable(() => admin.fetchTopicMetadata({ topics }));
      return md.topics.map((t) => ({ topic: t.name, partitions: t.partitions.length, replicationFactor: t.partitions[0]?.replicas.length ?? 0 }));
    },
    describeConfigs: async (topics, keys) => {
      const res = await whileRetriable(() =>
        admin.describeConfigs({
          includeSynonyms: false,
          resources: topics.map((name) => ({ type: kafkajs.ConfigResourceTypes.TOPIC, name, configNames: keys })),
        }),
      );
      const out: Record<string, Record<string, string>> = {};
      for (const r of res.resources) {
        out[r.resourceName] = Object.fromEntries(r.configEntries.filter((e) => !e.isDefault || keys).map((e) => [e.configName, e.configValue]));
      }
      return out;
    },
    alterConfigs: async (topic, configs) => {
      // IncrementalAlterConfigs is not in kafkajs: AlterConfigs replaces the topic's dynamic configs,
      // so the caller passes the full desired set.
      await whileRetriable(() =>
        admin.alterConfigs({
          validateOnly: false,
          resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: topic, configEntries: Object.entries(configs).map(([name, value]) => ({ name, value })) }],
        }),
      );
    },
    fetchTopicOffsets: async (topic) => {
      const offsets = await whileRetriable(() => admin.fetchTopicOffsets(topic));
      return offsets.map((p) => ({ partition: p.partition, high: p.high, low: p.low }));
    },
    fetchCommitted: async (groupId, topic) => {
      const res = await whileRetriable(() => admin.fetchOffsets({ groupId, topics: [topic] }));
      return (res[0]?.partitions ?? []).map((p) => ({ partition: p.partition, offset: p.offset }));
    },
  };
}

/**
 * Runs an idempotent admin call again while it fails with an error kafkajs marks retriable (a
 * leader not elected yet right after a topic was created — tulios/kafkajs#815 —, a broker moving
 * leadership during a restart): kafkajs' admin gives those up at once. Up to 8 attempts, backoff
 * with jitter.
 */
async function whileRetriable<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= 8 || (err as { retriable?: unknown }).retriable !== true) throw err;
      await new Promise((r) => setTimeout(r, 50 + backoffDelay(attempt, { baseMs: 100, maxMs: 2_000 })));
    }
  }
}

/**
 * kafkajs 2.2.4 passes a negative delay to setTimeout in its request queue on Node >= 22, which
 * prints a TimeoutNegativeWarning per connection (tulios/kafkajs#1751). The delay is treated as
 * 1 ms either way; drop only that warning so real warnings still show.
 */
function silenceKafkajsTimerWarning(): void {
  const key = Symbol.for('fleetstream.kafkajsWarningFilter');
  const g = globalThis as Record<symbol, unknown>;
  if (g[key]) return;
  g[key] = true;
  const listeners = process.listeners('warning');
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    if (warning.name === 'TimeoutNegativeWarning') return;
    for (const l of listeners) l(warning);
  });
}
