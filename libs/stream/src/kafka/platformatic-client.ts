import {
  Admin,
  ConfigResourceTypes,
  Consumer,
  FetchIsolationLevels,
  ListOffsetTimestamps,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
  stringDeserializer,
} from '@platformatic/kafka';
import type { Message, MessagesStream, SASLMechanismValue } from '@platformatic/kafka';
import type { Logger } from 'pino';
import { StreamError } from '../errors.ts';
import type { InboundRecord } from '../types.ts';
import { withConnectError } from './connect-error.ts';
import { platformaticProducer, type GroupMember, type PlatformaticBase } from './platformatic-producer.ts';
import type {
  Assignment,
  BatchControl,
  ConsumerOptions,
  KafkaClient,
  KafkaConnection,
  PartitionBatch,
  StreamAdmin,
  StreamConsumer,
  TopicSpec,
} from './types.ts';

/** Buffer keys and values, string header keys and values: what our records carry. */
type PltMessage = Message<Buffer, Buffer, string, string>;
type PltConsumer = Consumer<Buffer, Buffer, string, string>;

/**
 * Creates a client on @platformatic/kafka (pure JavaScript) behind our narrow interface. kafkajs
 * stays the default (see the README's bench section); this one exists so the two can be measured
 * on the same stage and swapped without touching a service.
 *
 * What differs from kafkajs, by construction of @platformatic/kafka:
 * - it consumes one message stream per consumer; the adapter groups what a fetch brings per
 *   partition and hands the handler one batch per partition at a time (`partitionsConsumedConcurrently`
 *   partitions at once), so a partition's records stay in order;
 * - heartbeats run on their own timer, so `heartbeat()` has nothing to do;
 * - the stream keeps its own fetch position: `resolveOffset()` is a no-op and a batch left half done
 *   (stale, or stopping) is read again only from the committed offset after a rebalance or restart
 *   (each rejoin reads through a new stream from the committed offsets: see reopenStream);
 * - transaction markers are never delivered, so `lastOffset` is the batch's last record unless the
 *   stream has nothing more buffered, then it is the fetch position minus one (past the marker);
 * - the high watermark is sampled every few seconds (ListOffsets), not taken from each fetch;
 * - transactions commit their offsets with the group generation of this client's consumer of
 *   that group (KIP-447 fencing, which kafkajs lacks; see platformatic-producer.ts).
 *
 * @example
 * const client = createPlatformaticClient({ brokers: ['127.0.0.1:9092'], clientId: 'fleetstream-parse' });
 */
export function createPlatformaticClient(connection: KafkaConnection, logger?: Logger): KafkaClient {
  const log = logger?.child({ component: 'platformatic-kafka' });
  const base = baseOptions(connection);
  // The consumers of this client by group: a transaction fences its offsets with their membership.
  const members = new Map<string, PltConsumer>();
  const member = (groupId: string): GroupMember | undefined => {
    const c = members.get(groupId);
    return c && { groupId, generationId: c.generationId, memberId: c.memberId, coordinatorId: c.coordinatorId };
  };
  const user = connection.sasl?.username;
  return {
    consumer: (options) => withConnectError(platformaticConsumer(base, options, log, (c) => members.set(options.groupId, c)), user),
    producer: (options) => withConnectError(platformaticProducer(base, options ?? {}, member, log), user),
    admin: () => withConnectError(platformaticAdmin(base), user),
    name: 'platformatic',
  };
}

type BaseOptions = PlatformaticBase;

function baseOptions(c: KafkaConnection): BaseOptions {
  const options: BaseOptions = {
    clientId: c.clientId,
    bootstrapBrokers: c.brokers,
    connectTimeout: c.connectionTimeoutMs ?? 3000,
    requestTimeout: c.requestTimeoutMs ?? 30_000,
    timeout: c.requestTimeoutMs ?? 30_000,
    retries: 8,
    retryDelay: 300,
  };
  if (c.ssl) options.tls = c.ssl === true ? {} : { rejectUnauthorized: c.ssl.rejectUnauthorized ?? true, ca: c.ssl.ca };
  if (c.sasl) options.sasl = { mechanism: c.sasl.mechanism.toUpperCase() as SASLMechanismValue, username: c.sasl.username, password: c.sasl.password };
  return options;
}

function toInbound(m: PltMessage): InboundRecord {
  const headers: Record<string, string> = {};
  for (const [k, v] of m.headerEntries) if (k !== undefined && v !== undefined) headers[k] = v;
  return {
    topic: m.topic,
    partition: m.partition,
    offset: m.offset.toString(),
    key: m.key ?? null,
    value: m.value ?? null,
    headers,
    timestamp: Number(m.timestamp),
  };
}

/** A partition's records waiting for its handler, and whether one runs. */
interface PartitionQueue {
  topic: string;
  partition: number;
  records: InboundRecord[];
  bytes: number;
  running: boolean;
  /** Bumped when the partition's buffered and in-flight records became stale (a rebalance). */
  epoch: number;
}

type Handler = (batch: PartitionBatch, control: BatchControl) => Promise<void>;

function platformaticConsumer(base: BaseOptions, o: ConsumerOptions, log: Logger | undefined, register: (c: PltConsumer) => void): StreamConsumer {
  const consumer: PltConsumer = new Consumer({
    ...base,
    groupId: o.groupId,
    sessionTimeout: o.sessionTimeoutMs ?? 30_000,
    heartbeatInterval: o.heartbeatIntervalMs ?? 3_000,
    rebalanceTimeout: o.rebalanceTimeoutMs ?? 60_000,
    deserializers: { headerKey: stringDeserializer, headerValue: stringDeserializer },
    // kafkajs' name for the same round-robin assignment (the library says 'roundrobin'): with one
    // name, kafkajs and platformatic members can share a group (a rolling switch of KAFKA_CLIENT);
    // with two, the broker refuses the newcomer with INCONSISTENT_GROUP_PROTOCOL.
    protocols: [{ name: 'RoundRobinAssigner', version: 1 }],
  });
  register(consumer);
  const maxBytes = o.maxBytes ?? 10_485_760;
  const concurrency = o.partitionsConsumedConcurrently ?? 4;
  const queues = new Map<string, PartitionQueue>();
  const high = new Map<string, bigint>();
  const assignedListeners: ((a: Assignment) => void)[] = [];
  const rebalancingListeners: (() => void)[] = [];
  const crashListeners: ((err: Error, restarting: boolean) => void)[] = [];
  let stream: MessagesStream<Buffer, Buffer, string, string> | undefined;
  let handler: Handler | undefined;
  let running = false;
  let active = 0;
  let buffered = 0;
  let scheduled = false;
  let highTimer: NodeJS.Timeout | undefined;
  const idleWaiters: (() => void)[] = [];
  let streamOptions: Parameters<PltConsumer['consume']>[0] | undefined;
  let joins = 0;
  let reopening: Promise<void> | undefined;
  /** Old streams still closing (each leaves the set once closed, so rejoins do not accumulate them). */
  const closing = new Set<Promise<unknown>>();

  const crash = (err: Error, restarting: boolean) => {
    if (crashListeners.length === 0) log?.error({ err, restarting }, 'consumer error');
    for (const l of crashListeners) l(err, restarting);
  };
  // The library emits 'error' when a rejoin fails; without a listener that would end the process.
  consumer.on('error', (err: Error) => crash(err, true));
  consumer.on('consumer:group:rebalance', () => {
    for (const l of rebalancingListeners) l();
  });
  consumer.on('consumer:group:join', (payload) => {
    // After every join each assigned partition is read again from its committed offset, as kafkajs
    // does, so whatever is buffered or in flight here is stale: drop it (the in-flight handlers see
    // isStale()) and read through a new stream (reopenStream says why the old one cannot).
    for (const q of queues.values()) dropBuffered(q);
    reopenStream();
    const assignment: Assignment = (payload.assignments ?? []).map((a) => ({ topic: a.topic, partitions: [...a.partitions] }));
    for (const l of assignedListeners) l(assignment);
  });

  const queueOf = (topic: string, partition: number): PartitionQueue => {
    const key = `${topic}:${partition}`;
    let q = queues.get(key);
    if (!q) queues.set(key, (q = { topic, partition, records: [], bytes: 0, running: false, epoch: 0 }));
    return q;
  };

  function dropBuffered(q: PartitionQueue): void {
    buffered -= q.bytes;
    q.records = [];
    q.bytes = 0;
    q.epoch += 1;
    maybeResumeStream();
  }

  async function openStream(): Promise<void> {
    const s = await consumer.consume(streamOptions!);
    s.on('data', onData);
    s.on('error', (err: Error) => crash(err, false));
    stream = s;
  }

  /**
   * Replaces the message stream after a rejoin. The library's stream keeps its fetch position
   * across a rejoin for a partition that has no committed offset yet, and a fetch in flight during
   * the rejoin moves the position past the committed offset when it lands; either way the records
   * dropped above would never be read again, and the offset tracker would commit past them (found
   * with two parse processes: ~12 % of the input lost). A new stream starts from the committed
   * offsets (else the fallback) and the old one's late fetches die with it. The new stream is made
   * before the old one is closed: closing first would untrack the topics and rejoin the group again.
   */
  function reopenStream(): void {
    joins += 1;
    // The first join happens inside run()'s consume(): the stream it returns is already fresh.
    if (!running || reopening || !stream) return;
    reopening = (async () => {
      let seen = 0;
      while (running && seen < joins) {
        seen = joins;
        const old = stream;
        if (old) {
          old.removeListener('data', onData);
          stream = undefined;
        }
        for (;;) {
          try {
            await openStream();
            break;
          } catch (err) {
            crash(err as Error, true);
            if (!running) break;
            await new Promise((r) => setTimeout(r, 1000));
          }
        }
        if (old) {
          const closed: Promise<unknown> = old.close().catch(() => undefined).finally(() => closing.delete(closed));
          closing.add(closed);
        }
      }
    })().finally(() => (reopening = undefined));
  }

  function maybeResumeStream(): void {
    // Resume below half the bound so the stream is not toggled per message.
    if (stream && running && stream.isPaused() && buffered < maxBytes / 2) stream.resume();
  }

  const onData = (m: PltMessage) => {
    const q = queueOf(m.topic, m.partition);
    const r = toInbound(m);
    const size = (r.value?.length ?? 0) + (r.key?.length ?? 0);
    q.records.push(r);
    q.bytes += size;
    buffered += size;
    // The buffer bound: what kafkajs bounds by one fetch response per partition.
    if (buffered >= maxBytes) stream?.pause();
    schedule();
  };

  function schedule(): void {
    if (scheduled) return;
    scheduled = true;
    // A fetch response is pushed in one go: dispatching on the next turn hands it over as one batch.
    setImmediate(dispatch);
  }

  function dispatch(): void {
    scheduled = false;
    if (!running || !handler) return;
    for (const q of queues.values()) {
      if (active >= concurrency) return;
      if (q.running || q.records.length === 0) continue;
      void runBatch(q, handler);
    }
  }

  async function runBatch(q: PartitionQueue, h: Handler): Promise<void> {
    const records = q.records;
    const bytes = q.bytes;
    q.records = [];
    q.bytes = 0;
    q.running = true;
    active += 1;
    const epoch = q.epoch;
    const lastRecord = BigInt(records[records.length - 1]!.offset);
    let lastOffset = lastRecord;
    // Past a transaction marker only when everything fetched so far is in this batch.
    const position = stream?.offsetsToFetch.get(`${q.topic}:${q.partition}`);
    if (stream && stream.readableLength === 0 && q.records.length === 0 && position !== undefined && position - 1n > lastRecord) lastOffset = position - 1n;
    const hw = high.get(`${q.topic}:${q.partition}`) ?? 0n;
    const control: BatchControl = {
      heartbeat: () => Promise.resolve(),
      resolveOffset: () => undefined,
      isStale: () => q.epoch !== epoch,
    };
    let requeued = false;
    try {
      await h({ topic: q.topic, partition: q.partition, records, highWatermark: (hw > lastOffset ? hw : lastOffset + 1n).toString(), lastOffset: lastOffset.toString() }, control);
    } catch (err) {
      // kafkajs restarts the consumer after a failed batch handler; here the batch goes back in
      // front of the partition's queue (its bytes still counted) and is handed over after a second.
      crash(err as Error, true);
      if (q.epoch === epoch && running) {
        q.records = records.concat(q.records);
        q.bytes += bytes;
        requeued = true;
        await new Promise((r) => setTimeout(r, 1000));
      }
    } finally {
      q.running = false;
      active -= 1;
      if (!requeued) {
        buffered -= bytes;
        maybeResumeStream();
      }
      if (active === 0) for (const w of idleWaiters.splice(0)) w();
      schedule();
    }
  }

  async function refreshHighWatermarks(): Promise<void> {
    const offsets = await consumer.listOffsets({ topics: o.topics, timestamp: ListOffsetTimestamps.LATEST });
    for (const [topic, partitions] of offsets) partitions.forEach((offset, partition) => high.set(`${topic}:${partition}`, offset));
  }

  return {
    connect: async () => {
      // The library connects lazily; fetch metadata now so a wrong broker fails here, as with kafkajs.
      await consumer.metadata({ topics: o.topics });
    },
    run: async (h) => {
      handler = h;
      running = true;
      streamOptions = {
        topics: o.topics,
        mode: MessagesStreamModes.COMMITTED,
        fallbackMode: o.fromBeginning === false ? MessagesStreamFallbackModes.LATEST : MessagesStreamFallbackModes.EARLIEST,
        autocommit: false,
        maxBytes,
        maxBytesPerPartition: o.maxBytesPerPartition ?? 1_048_576,
        maxWaitTime: o.maxWaitMs ?? 500,
        minBytes: o.minBytes ?? 1,
        isolationLevel: o.readCommitted === false ? FetchIsolationLevels.READ_UNCOMMITTED : FetchIsolationLevels.READ_COMMITTED,
        sessionTimeout: o.sessionTimeoutMs ?? 30_000,
        heartbeatInterval: o.heartbeatIntervalMs ?? 3_000,
        rebalanceTimeout: o.rebalanceTimeoutMs ?? 60_000,
      };
      await openStream();
      await refreshHighWatermarks().catch(() => undefined);
      highTimer = setInterval(() => void refreshHighWatermarks().catch(() => undefined), 5_000);
      highTimer.unref();
    },
    commit: async (offsets) => {
      try {
        await consumer.commit({ offsets: offsets.map((x) => ({ topic: x.topic, partition: x.partition, offset: BigInt(x.offset), leaderEpoch: -1 })) });
      } catch (err) {
        throw new StreamError('STREAM_COMMIT_FAILED', `commit of ${offsets.length} offsets failed: ${(err as Error).message}`, { retryable: true, cause: err });
      }
    },
    disconnect: async () => {
      running = false;
      if (highTimer) clearInterval(highTimer);
      await reopening;
      stream?.pause();
      if (active > 0) await new Promise<void>((r) => idleWaiters.push(r));
      if (stream) await stream.close();
      await Promise.all([...closing]);
      await consumer.close();
    },
    onAssigned: (listener) => void assignedListeners.push(listener),
    onRebalancing: (listener) => void rebalancingListeners.push(listener),
    onCrash: (listener) => void crashListeners.push(listener),
  };
}

function platformaticAdmin(base: BaseOptions): StreamAdmin {
  const admin = new Admin(base);
  return {
    connect: async () => {
      await admin.metadata({ topics: [] });
    },
    disconnect: () => admin.close(),
    listTopics: () => admin.listTopics(),
    createTopics: async (specs: TopicSpec[]) => {
      // One request per spec: the library's partitions and replicas apply to the whole request.
      for (const s of specs) {
        await admin.createTopics({
          topics: [s.topic],
          partitions: s.numPartitions,
          replicas: s.replicationFactor,
          configs: Object.entries(s.configs ?? {}).map(([name, value]) => ({ name, value })),
        });
      }
      // kafkajs waits for leaders; a metadata refresh until every partition has one does the same.
      const deadline = Date.now() + 10_000;
      for (;;) {
        const md = await admin.metadata({ topics: specs.map((s) => s.topic), forceUpdate: true });
        const ready = specs.every((s) => {
          const t = md.topics.get(s.topic);
          return t !== undefined && t.partitionsCount >= s.numPartitions && t.partitions.every((p) => p.leader >= 0);
        });
        if (ready || Date.now() > deadline) return;
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    createPartitions: (topic, count) => admin.createPartitions({ topics: [{ name: topic, count }] }),
    deleteTopics: (topics) => admin.deleteTopics({ topics }),
    describeTopics: async (topics) => {
      const md = await admin.metadata({ topics, forceUpdate: true });
      return topics.flatMap((topic) => {
        const t = md.topics.get(topic);
        return t ? [{ topic, partitions: t.partitionsCount, replicationFactor: t.partitions[0]?.replicas.length ?? 0 }] : [];
      });
    },
    describeConfigs: async (topics, keys) => {
      const res = await admin.describeConfigs({
        resources: topics.map((name) => ({ resourceType: ConfigResourceTypes.TOPIC, resourceName: name, configurationKeys: keys ?? null })),
      });
      const out: Record<string, Record<string, string>> = {};
      for (const r of res) {
        // configSource 5 is DEFAULT_CONFIG: left out unless asked for by name, as in kafkajs-client.ts.
        out[r.resourceName] = Object.fromEntries(r.configs.filter((c) => keys || c.configSource !== 5).map((c) => [c.name, c.value ?? '']));
      }
      return out;
    },
    alterConfigs: (topic, configs) =>
      // AlterConfigs replaces the topic's dynamic configs, like kafkajs-client.ts: pass the full set.
      admin.alterConfigs({ resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: topic, configs: Object.entries(configs).map(([name, value]) => ({ name, value })) }] }),
    fetchTopicOffsets: async (topic) => {
      const md = await admin.metadata({ topics: [topic] });
      const count = md.topics.get(topic)?.partitionsCount ?? 0;
      const ask = (timestamp: bigint) =>
        admin.listOffsets({ topics: [{ name: topic, partitions: Array.from({ length: count }, (_, partitionIndex) => ({ partitionIndex, timestamp })) }] });
      const [latest, earliest] = await Promise.all([ask(ListOffsetTimestamps.LATEST), ask(ListOffsetTimestamps.EARLIEST)]);
      const low = new Map(earliest[0]?.partitions.map((p) => [p.partitionIndex, p.offset]) ?? []);
      return (latest[0]?.partitions ?? []).map((p) => ({ partition: p.partitionIndex, high: p.offset.toString(), low: (low.get(p.partitionIndex) ?? 0n).toString() }));
    },
    fetchCommitted: async (groupId, topic) => {
      const md = await admin.metadata({ topics: [topic] });
      const count = md.topics.get(topic)?.partitionsCount ?? 0;
      const res = await admin.listConsumerGroupOffsets({ groups: [{ groupId, topics: [{ name: topic, partitionIndexes: Array.from({ length: count }, (_, i) => i) }] }] });
      const partitions = res[0]?.topics.find((t) => t.name === topic)?.partitions ?? [];
      return partitions.map((p) => ({ partition: p.partitionIndex, offset: p.committedOffset.toString() }));
    },
  };
}
