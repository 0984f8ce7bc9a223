import type { Headers, InboundRecord, OutboundRecord, TopicPartitionOffset } from '../types.ts';

/**
 * The narrow Kafka interface services are built on. kafkajs (kafkajs-client.ts) and
 * @platformatic/kafka (platformatic-client.ts) implement all of it, transactions included; a
 * librdkafka-based client can replace them without touching a service.
 */
export interface KafkaClient {
  consumer(options: ConsumerOptions): StreamConsumer;
  producer(options?: ProducerOptions): StreamProducer;
  admin(): StreamAdmin;
  /** Which library is behind the port (KAFKA_CLIENT's value for the two adapters). */
  readonly name?: string;
}

export interface KafkaConnection {
  brokers: string[];
  clientId: string;
  ssl?: boolean | { rejectUnauthorized?: boolean; ca?: string[] };
  sasl?: { mechanism: 'scram-sha-256' | 'scram-sha-512' | 'plain'; username: string; password: string };
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
}

export interface ConsumerOptions {
  groupId: string;
  topics: string[];
  fromBeginning?: boolean;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  rebalanceTimeoutMs?: number;
  /** Upper bound of bytes fetched per partition per request (bounds memory). */
  maxBytesPerPartition?: number;
  maxBytes?: number;
  maxWaitMs?: number;
  /** Bytes the broker waits for (up to maxWaitMs) before it answers a fetch (default 1). */
  minBytes?: number;
  partitionsConsumedConcurrently?: number;
  /** Read only committed records of transactional producers (default true). */
  readCommitted?: boolean;
}

/** The records of one partition from one fetch. */
export interface PartitionBatch {
  topic: string;
  partition: number;
  records: InboundRecord[];
  highWatermark: string;
  /** The batch's last offset, which may be a transaction marker past the last record. */
  lastOffset: string;
}

/** What a batch handler may do while it holds a batch. */
export interface BatchControl {
  heartbeat(): Promise<void>;
  /** Sets the fetch position after `offset` (not a commit). */
  resolveOffset(offset: string): void;
  /** True when the batch became stale (a seek or a rebalance took the partition). */
  isStale(): boolean;
}

export type Assignment = { topic: string; partitions: number[] }[];

export interface StreamConsumer {
  connect(): Promise<void>;
  /** Starts fetching; the handler is awaited per partition batch. */
  run(handler: (batch: PartitionBatch, control: BatchControl) => Promise<void>): Promise<void>;
  commit(offsets: TopicPartitionOffset[]): Promise<void>;
  /** Stops fetching and waits for running handlers, then leaves the group. */
  disconnect(): Promise<void>;
  onAssigned(listener: (assignment: Assignment) => void): void;
  onRebalancing(listener: () => void): void;
  onCrash(listener: (err: Error, restarting: boolean) => void): void;
}

export interface ProducerOptions {
  /** gzip is built in; others need a codec (kept out on purpose). */
  compression?: 'none' | 'gzip';
  transactionalId?: string;
  /** Upper bound of one produce request's payload; larger sends are split (default 512 KiB). */
  maxRequestBytes?: number;
  /** How long a send may wait for acks=all before failing (ms). */
  timeoutMs?: number;
}

export interface StreamProducer {
  connect(): Promise<void>;
  /** Produces with acks=all; resolves when every record is acknowledged. */
  send(records: OutboundRecord[]): Promise<void>;
  /** Transactional producers only. */
  transaction(): Promise<StreamTransaction>;
  disconnect(): Promise<void>;
}

export interface StreamTransaction {
  send(records: OutboundRecord[]): Promise<void>;
  sendOffsets(groupId: string, offsets: TopicPartitionOffset[]): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

export interface TopicSpec {
  topic: string;
  numPartitions: number;
  replicationFactor: number;
  configs?: Record<string, string>;
}

export interface StreamAdmin {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  listTopics(): Promise<string[]>;
  createTopics(specs: TopicSpec[]): Promise<void>;
  createPartitions(topic: string, count: number): Promise<void>;
  deleteTopics(topics: string[]): Promise<void>;
  describeTopics(topics: string[]): Promise<{ topic: string; partitions: number; replicationFactor: number }[]>;
  describeConfigs(topics: string[], keys?: string[]): Promise<Record<string, Record<string, string>>>;
  alterConfigs(topic: string, configs: Record<string, string>): Promise<void>;
  /** High watermark per partition. */
  fetchTopicOffsets(topic: string): Promise<{ partition: number; high: string; low: string }[]>;
  /** Committed offsets of a group for a topic (-1 when none). */
  fetchCommitted(groupId: string, topic: string): Promise<{ partition: number; offset: string }[]>;
}

export type { Headers, InboundRecord, OutboundRecord, TopicPartitionOffset };
