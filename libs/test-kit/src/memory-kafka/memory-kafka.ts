import type {
  ConsumerOptions,
  KafkaClient,
  OutboundRecord,
  ProducerOptions,
  StreamAdmin,
  StreamConsumer,
  StreamProducer,
  TopicPartitionOffset,
} from '@fleetstream/stream';
import { PartitionLog, type Txn } from './log.ts';
import { Group } from './group.ts';
import { MemoryConsumer } from './consumer.ts';
import { MemoryProducer } from './producer.ts';
import { memoryAdmin } from './admin.ts';

/**
 * Calls a test may put in the way of the client's operations: each runs before the operation and
 * may throw (the operation then fails with that error, as a broker refusal would) or wait (a latch
 * holding a produce or a commit).
 */
export interface Interceptors {
  send?: (records: OutboundRecord[]) => void | Promise<void>;
  commit?: (groupId: string, offsets: TopicPartitionOffset[]) => void | Promise<void>;
  transactionCommit?: () => void | Promise<void>;
}

/** A commit the broker accepted (consumer commit or transaction's offsets). */
export interface CommitEntry extends TopicPartitionOffset {
  groupId: string;
  /** 'consumer' for StreamConsumer.commit, 'transaction' for offsets committed with a transaction. */
  via: 'consumer' | 'transaction';
}

export interface MemoryKafkaOptions {
  /** Most records one fetch of a partition returns (kafkajs is bounded by bytes only; tests want chunks). Default 1000. */
  fetchMaxRecords?: number;
  /** How long a rebalance waits for members' running batches before it takes their partitions anyway. Default 10 s. */
  rebalanceTimeoutMs?: number;
}

/**
 * An in-memory Kafka behind libs/stream's client port ({@link KafkaClient}), for the runtime's
 * logic in milliseconds without a JVM: topics and partitions, consumer groups with round-robin
 * assignment and rebalances (the revoking members' running batches drain first, as kafkajs'
 * REBALANCING then GROUP_JOIN), committed offsets, stale batches, heartbeats, idempotent sends and
 * transactions (send, sendOffsets, commit/abort; read_committed consumers see only committed
 * records; a new producer with the same transactional id fences the old one).
 *
 * It is not a broker: no network, no replication, no retention; appends are acknowledged at once.
 * What only a broker proves (kafkajs' behaviour, wire limits, restarts) stays in the real-broker tests.
 *
 * @example
 * const kafka = new MemoryKafka();
 * kafka.createTopic('in', 4);
 * kafka.append('in', [{ key: 'dev-1', value: '1' }]);
 * const runner = new ConsumerRunner({ consumer: kafka.consumer({ groupId: 'g', topics: ['in'] }), ... });
 */
export class MemoryKafka implements KafkaClient {
  readonly #topics = new Map<string, PartitionLog[]>();
  readonly #configs = new Map<string, Record<string, string>>();
  readonly #groups = new Map<string, Group>();
  readonly #transactionalIds = new Map<string, MemoryProducer>();
  #waiters: (() => void)[] = [];
  #roundRobin = 0;
  readonly options: Required<MemoryKafkaOptions>;
  /** Every accepted commit, in order. */
  readonly commits: CommitEntry[] = [];
  /** Set a member to make the next operations of that kind fail or wait. */
  readonly intercept: Interceptors = {};

  constructor(options: MemoryKafkaOptions = {}) {
    this.options = {
      fetchMaxRecords: options.fetchMaxRecords ?? 1000,
      rebalanceTimeoutMs: options.rebalanceTimeoutMs ?? 10_000,
    };
  }

  consumer(options: ConsumerOptions): StreamConsumer & MemoryConsumer {
    return new MemoryConsumer(this, options);
  }

  producer(options: ProducerOptions = {}): StreamProducer & MemoryProducer {
    return new MemoryProducer(this, options);
  }

  admin(): StreamAdmin {
    return memoryAdmin(this);
  }

  createTopic(topic: string, partitions = 1, configs: Record<string, string> = {}): void {
    if (this.#topics.has(topic)) throw kafkaError('TOPIC_ALREADY_EXISTS', `topic ${topic} exists`);
    this.#topics.set(
      topic,
      Array.from({ length: partitions }, (_, p) => new PartitionLog(topic, p)),
    );
    this.#configs.set(topic, { ...configs });
  }

  /** Adds partitions up to `count` (partitions are never removed, as in Kafka). */
  createPartitions(topic: string, count: number): void {
    const logs = this.partitions(topic);
    if (count <= logs.length)
      throw kafkaError('INVALID_PARTITIONS', `topic ${topic} has ${logs.length} partitions`);
    for (let p = logs.length; p < count; p++) logs.push(new PartitionLog(topic, p));
    this.notify();
  }

  deleteTopic(topic: string): void {
    this.#topics.delete(topic);
    this.#configs.delete(topic);
    this.notify();
  }

  topicNames(): string[] {
    return [...this.#topics.keys()];
  }

  configs(topic: string): Record<string, string> {
    this.partitions(topic);
    return this.#configs.get(topic)!;
  }

  /** The partitions of a topic; throws UNKNOWN_TOPIC_OR_PARTITION for a topic that does not exist. */
  partitions(topic: string): PartitionLog[] {
    const logs = this.#topics.get(topic);
    if (!logs) throw kafkaError('UNKNOWN_TOPIC_OR_PARTITION', `topic ${topic} does not exist`);
    return logs;
  }

  hasTopic(topic: string): boolean {
    return this.#topics.has(topic);
  }

  /** Appends records without a producer (no interceptor): a test's input. Returns their offsets. */
  append(
    topic: string,
    records: readonly Omit<OutboundRecord, 'topic'>[],
    txn?: Txn,
  ): { partition: number; offset: bigint }[] {
    const logs = this.partitions(topic);
    const out = records.map((r) => {
      const partition = r.partition ?? this.#partitionOf(r.key, logs.length);
      const log = logs[partition];
      if (!log)
        throw kafkaError('UNKNOWN_TOPIC_OR_PARTITION', `${topic} has no partition ${partition}`);
      const offset = log.append(
        {
          key: toBuffer(r.key),
          value: toBuffer(r.value),
          headers: { ...r.headers },
          timestamp: Date.now(),
        },
        txn,
      );
      return { partition, offset };
    });
    this.notify();
    return out;
  }

  /** Every record of a topic, partition by partition (read_committed by default). */
  read(topic: string, options: { readCommitted?: boolean } = {}) {
    return this.partitions(topic).flatMap(
      (log) =>
        log.read(0n, {
          maxRecords: Infinity,
          maxBytes: Infinity,
          readCommitted: options.readCommitted ?? true,
        })?.records ?? [],
    );
  }

  /** Log end offset per partition. */
  endOffsets(topic: string): Map<number, bigint> {
    return new Map(this.partitions(topic).map((log) => [log.partition, log.end]));
  }

  /** A group's committed offsets on a topic: partition -> next offset to read (absent: never committed). */
  committed(groupId: string, topic: string): Map<number, bigint> {
    const out = new Map<number, bigint>();
    for (const [key, offset] of this.group(groupId).committed) {
      const [t, p] = splitKey(key);
      if (t === topic) out.set(p, offset);
    }
    return out;
  }

  group(groupId: string): Group {
    let g = this.#groups.get(groupId);
    if (!g) this.#groups.set(groupId, (g = new Group(this, groupId)));
    return g;
  }

  /** Resolves when the group has no rebalance running (members joined or left have their assignment). */
  whenStable(groupId: string): Promise<void> {
    return this.group(groupId).stable();
  }

  /** Registers a transactional producer; the one that held the id before is fenced and its open transaction aborted. */
  claimTransactionalId(id: string, producer: MemoryProducer): void {
    const previous = this.#transactionalIds.get(id);
    if (previous && previous !== producer) previous.fence();
    this.#transactionalIds.set(id, producer);
  }

  /** Commits offsets for a group (after the interceptor); the entry is logged in {@link commits}. */
  commitOffsets(groupId: string, offsets: TopicPartitionOffset[], via: CommitEntry['via']): void {
    const group = this.group(groupId);
    for (const o of offsets) {
      group.committed.set(`${o.topic}:${o.partition}`, BigInt(o.offset));
      this.commits.push({ ...o, groupId, via });
    }
    this.notify();
  }

  /** Resolves at the next change of any log, assignment or stop. */
  changed(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  notify(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  #partitionOf(key: Buffer | string | null, count: number): number {
    if (key === null) return this.#roundRobin++ % count;
    // FNV-1a: stable per key (a key keeps its partition); not the Java client's murmur2.
    let h = 0x811c9dc5;
    for (const byte of toBuffer(key)!) h = Math.imul(h ^ byte, 0x01000193) >>> 0;
    return h % count;
  }
}

/** An error as the broker would answer it: a Kafka error code name and retriable as Kafka marks it. */
export function kafkaError(
  type: string,
  message: string,
  retriable = false,
): Error & { type: string; retriable: boolean } {
  return Object.assign(new Error(message), { type, retriable });
}

export function splitKey(key: string): [string, number] {
  const i = key.lastIndexOf(':');
  return [key.slice(0, i), Number(key.slice(i + 1))];
}

function toBuffer(v: Buffer | string | null | undefined): Buffer | null {
  return v === null || v === undefined ? null : typeof v === 'string' ? Buffer.from(v) : v;
}
