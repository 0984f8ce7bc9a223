import type {
  OutboundRecord,
  ProducerOptions,
  StreamProducer,
  StreamTransaction,
  TopicPartitionOffset,
} from '@fleetstream/stream';
import { kafkaError, type MemoryKafka } from './memory-kafka.ts';
import type { PartitionLog, Txn } from './log.ts';

interface OpenTransaction {
  txn: Txn;
  logs: Set<PartitionLog>;
  offsets: { groupId: string; offsets: TopicPartitionOffset[] }[];
}

/**
 * An idempotent producer (acks=all: a send resolves once every record is in the log) and, with a
 * transactional id, Kafka transactions: records sent in a transaction take their offsets at once
 * but read_committed consumers see them only after commit (never after abort); offsets sent with
 * it are committed for their group at commit. One open transaction at a time; a producer connected
 * later with the same transactional id fences this one (its open transaction is aborted and its
 * calls fail with PRODUCER_FENCED), as a restarted instance fences its zombie.
 */
export class MemoryProducer implements StreamProducer {
  readonly #kafka: MemoryKafka;
  readonly #o: ProducerOptions;
  #connected = false;
  #fenced = false;
  #open: OpenTransaction | undefined;
  /** Records this producer appended (transactional ones included, aborted or not). */
  sent = 0;

  constructor(kafka: MemoryKafka, options: ProducerOptions) {
    this.#kafka = kafka;
    this.#o = options;
  }

  async connect(): Promise<void> {
    this.#connected = true;
    if (this.#o.transactionalId) this.#kafka.claimTransactionalId(this.#o.transactionalId, this);
  }

  /** Leaves an open transaction open (a crashed producer's transaction stays open until it is fenced). */
  async disconnect(): Promise<void> {
    this.#connected = false;
  }

  async send(records: OutboundRecord[]): Promise<void> {
    this.#check();
    if (this.#o.transactionalId)
      throw kafkaError('INVALID_TXN_STATE', 'a transactional producer sends inside a transaction');
    await this.#append(records);
  }

  async transaction(): Promise<StreamTransaction> {
    this.#check();
    if (!this.#o.transactionalId)
      throw kafkaError('INVALID_TXN_STATE', 'transaction() needs a transactionalId');
    if (this.#open) throw kafkaError('INVALID_TXN_STATE', 'a transaction is already open');
    const open: OpenTransaction = { txn: { state: 'open' }, logs: new Set(), offsets: [] };
    this.#open = open;
    const ensureOpen = () => {
      this.#check();
      if (this.#open !== open) throw kafkaError('INVALID_TXN_STATE', 'the transaction has ended');
    };
    return {
      send: async (records) => {
        ensureOpen();
        for (const log of await this.#append(records, open.txn)) open.logs.add(log);
      },
      sendOffsets: async (groupId, offsets) => {
        ensureOpen();
        open.offsets.push({ groupId, offsets });
      },
      commit: async () => {
        ensureOpen();
        await this.#kafka.intercept.transactionCommit?.();
        ensureOpen();
        this.#end(open, 'committed');
      },
      abort: async () => {
        ensureOpen();
        this.#end(open, 'aborted');
      },
    };
  }

  /** Kafka: another producer claimed the transactional id. */
  fence(): void {
    this.#fenced = true;
    if (this.#open) this.#end(this.#open, 'aborted');
  }

  #end(open: OpenTransaction, state: 'committed' | 'aborted'): void {
    open.txn.state = state;
    for (const log of open.logs) log.appendMarker(open.txn);
    if (state === 'committed')
      for (const { groupId, offsets } of open.offsets)
        this.#kafka.commitOffsets(groupId, offsets, 'transaction');
    this.#open = undefined;
    this.#kafka.notify();
  }

  #check(): void {
    if (this.#fenced)
      throw kafkaError(
        'PRODUCER_FENCED',
        `transactional id ${this.#o.transactionalId} was claimed by a newer producer`,
      );
    if (!this.#connected) throw kafkaError('NOT_CONNECTED', 'the producer is not connected');
  }

  /** All or nothing: every topic must exist before any record is appended. */
  async #append(records: OutboundRecord[], txn?: Txn): Promise<PartitionLog[]> {
    for (const r of records) this.#kafka.partitions(r.topic);
    await this.#kafka.intercept.send?.(records);
    const logs: PartitionLog[] = [];
    for (const r of records) {
      const { partition } = this.#kafka.append(r.topic, [r], txn)[0]!;
      logs.push(this.#kafka.partitions(r.topic)[partition]!);
    }
    this.sent += records.length;
    return logs;
  }
}
