import type { Headers, InboundRecord } from '@fleetstream/stream';

/** A transaction of a transactional producer; its records are visible to read_committed once committed. */
export interface Txn {
  state: 'open' | 'committed' | 'aborted';
}

/** One offset of a partition: a record, or (no `record`) a transaction's commit or abort marker. */
interface Entry {
  record?: { key: Buffer | null; value: Buffer | null; headers: Headers; timestamp: number };
  txn?: Txn;
}

/** What one fetch of a partition returns: records, and the last offset it covered (markers and aborted records included). */
export interface Fetched {
  records: InboundRecord[];
  lastOffset: bigint;
}

/**
 * One partition's log. Offsets are positions in the array and never reused; markers take an
 * offset as in Kafka, so a topic written transactionally has gaps between its records' offsets.
 */
export class PartitionLog {
  readonly #entries: Entry[] = [];
  readonly topic: string;
  readonly partition: number;

  constructor(topic: string, partition: number) {
    this.topic = topic;
    this.partition = partition;
  }

  /** The offset the next record will get (Kafka's high watermark; every append is acknowledged at once). */
  get end(): bigint {
    return BigInt(this.#entries.length);
  }

  append(record: NonNullable<Entry['record']>, txn?: Txn): bigint {
    this.#entries.push(txn ? { record, txn } : { record });
    return BigInt(this.#entries.length - 1);
  }

  appendMarker(txn: Txn): void {
    this.#entries.push({ txn });
  }

  /**
   * Reads from `from`: at most `maxRecords` records and about `maxBytes` (at least one record).
   * read_committed stops at the first record of an open transaction (the last stable offset) and
   * skips aborted records; markers are never returned. `undefined` when there is nothing to cover.
   */
  read(
    from: bigint,
    options: { maxRecords: number; maxBytes: number; readCommitted: boolean },
  ): Fetched | undefined {
    const records: InboundRecord[] = [];
    let bytes = 0;
    let last = -1;
    for (
      let i = Number(from);
      i < this.#entries.length && records.length < options.maxRecords;
      i++
    ) {
      const e = this.#entries[i]!;
      if (options.readCommitted && e.txn?.state === 'open') break;
      const r = e.record;
      if (r && !(options.readCommitted && e.txn?.state === 'aborted')) {
        const size = (r.key?.length ?? 0) + (r.value?.length ?? 0);
        if (records.length > 0 && bytes + size > options.maxBytes) break;
        bytes += size;
        records.push({
          topic: this.topic,
          partition: this.partition,
          offset: String(i),
          key: r.key,
          value: r.value,
          headers: { ...r.headers },
          timestamp: r.timestamp,
        });
      }
      last = i;
    }
    return last < 0 ? undefined : { records, lastOffset: BigInt(last) };
  }
}
