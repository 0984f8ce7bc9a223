/** Record headers as strings (Kafka headers are bytes; ours are always UTF-8 text). */
export type Headers = Record<string, string>;

/** A record read from Kafka. Offsets are decimal strings, as Kafka clients give them. */
export interface InboundRecord {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Headers;
  /** Broker or producer timestamp, ms since epoch. */
  timestamp: number;
}

/** A record to produce. The key decides the partition (device id keeps a device's order). */
export interface OutboundRecord {
  topic: string;
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Headers;
  partition?: number;
}

export interface TopicPartitionOffset {
  topic: string;
  partition: number;
  /** The next offset to read (Kafka's commit convention). */
  offset: string;
}
