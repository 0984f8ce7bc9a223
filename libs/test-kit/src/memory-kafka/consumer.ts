import type {
  Assignment,
  BatchControl,
  ConsumerOptions,
  PartitionBatch,
  StreamConsumer,
  TopicPartitionOffset,
} from '@fleetstream/stream';
import { kafkaError, type MemoryKafka } from './memory-kafka.ts';
import type { Group } from './group.ts';

type Handler = (batch: PartitionBatch, control: BatchControl) => Promise<void>;

interface Owned {
  topic: string;
  partition: number;
  /** Next offset to fetch: the committed offset at assignment, then after what the handler resolved. */
  position: bigint;
}

/**
 * A group member with kafkajs' eachBatch semantics, as libs/stream's adapter exposes them: one
 * batch per partition at a time (the next fetch of a partition waits for its handler), up to
 * `partitionsConsumedConcurrently` partitions at once (4 by default, as the adapter), the fetch
 * position moving only with `resolveOffset`, a handler that throws reported through onCrash and its
 * batch fetched again. After a rebalance every owned partition is read again from the committed
 * offset; a batch still running when its generation ended is stale.
 */
export class MemoryConsumer implements StreamConsumer {
  readonly #kafka: MemoryKafka;
  readonly #o: ConsumerOptions;
  readonly #group: Group;
  readonly #owned = new Map<string, Owned>();
  readonly #active = new Set<Promise<void>>();
  readonly #assigned: ((a: Assignment) => void)[] = [];
  readonly #rebalancing: (() => void)[] = [];
  readonly #crash: ((err: Error, restarting: boolean) => void)[] = [];
  #slotWaiters: (() => void)[] = [];
  #busy = 0;
  #handler: Handler | undefined;
  #generation = -1;
  #revoking = false;
  #running = false;
  #expelled = false;
  /** Heartbeats the handlers sent. */
  heartbeats = 0;
  /** Batches handed to the handler. */
  batches = 0;

  constructor(kafka: MemoryKafka, options: ConsumerOptions) {
    this.#kafka = kafka;
    this.#o = options;
    this.#group = kafka.group(options.groupId);
  }

  get topics(): string[] {
    return this.#o.topics;
  }

  get running(): boolean {
    return this.#running;
  }

  /** The partitions this member owns now. */
  get assignment(): Assignment {
    const byTopic = new Map<string, number[]>();
    for (const o of this.#owned.values())
      byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), o.partition]);
    return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
  }

  async connect(): Promise<void> {}

  /** Joins the group and starts fetching; resolves once this member has its assignment (as kafkajs' run). */
  async run(handler: Handler): Promise<void> {
    this.#handler = handler;
    this.#running = true;
    await this.#group.join(this);
  }

  async commit(offsets: TopicPartitionOffset[]): Promise<void> {
    if (this.#expelled || this.#generation < 0)
      throw kafkaError('UNKNOWN_MEMBER_ID', `not a member of group ${this.#o.groupId}`);
    await this.#kafka.intercept.commit?.(this.#o.groupId, offsets);
    this.#kafka.commitOffsets(this.#o.groupId, offsets, 'consumer');
  }

  /** Stops fetching, waits for running handlers, leaves the group (the others rebalance without waiting for this call). */
  async disconnect(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#kafka.notify();
    await this.drained();
    this.#generation = -1;
    this.#owned.clear();
    void this.#group.leave(this);
  }

  /**
   * The session timed out (a member that stopped heartbeating): the group takes its partitions at
   * once without waiting for its handlers, whose batches become stale; its commits are refused.
   */
  expel(): Promise<void> {
    this.#expelled = true;
    this.#running = false;
    this.#generation = -1;
    this.#owned.clear();
    this.#kafka.notify();
    return this.#group.leave(this);
  }

  onAssigned(listener: (assignment: Assignment) => void): void {
    this.#assigned.push(listener);
  }

  onRebalancing(listener: () => void): void {
    this.#rebalancing.push(listener);
  }

  onCrash(listener: (err: Error, restarting: boolean) => void): void {
    this.#crash.push(listener);
  }

  /** Group: a rebalance started. A member that holds partitions hears it and starts no new batch. */
  revoking(): void {
    if (this.#generation < 0 || !this.#running) return;
    this.#revoking = true;
    for (const l of this.#rebalancing) l();
  }

  /** Group: resolves when no handler of this member runs. */
  async drained(): Promise<void> {
    while (this.#active.size > 0) await Promise.allSettled([...this.#active]);
  }

  /** Group: the new generation's partitions; positions start again from the committed offsets. */
  assign(partitions: { topic: string; partition: number }[], generation: number): void {
    if (!this.#running) return;
    this.#generation = generation;
    this.#revoking = false;
    this.#owned.clear();
    for (const { topic, partition } of partitions) {
      const key = `${topic}:${partition}`;
      const committed = this.#group.committed.get(key);
      const position =
        committed ??
        (this.#o.fromBeginning === false ? this.#kafka.partitions(topic)[partition]!.end : 0n);
      this.#owned.set(key, { topic, partition, position });
      void this.#loop(key, generation);
    }
    const assignment = this.assignment;
    for (const l of this.#assigned) l(assignment);
  }

  #live(generation: number): boolean {
    return this.#running && this.#generation === generation;
  }

  async #loop(key: string, generation: number): Promise<void> {
    const owned = this.#owned.get(key)!;
    const log = this.#kafka.partitions(owned.topic)[owned.partition]!;
    const readCommitted = this.#o.readCommitted !== false;
    while (this.#live(generation)) {
      const fetched =
        this.#revoking
          ? undefined
          : log.read(owned.position, {
              maxRecords: this.#kafka.options.fetchMaxRecords,
              maxBytes: this.#o.maxBytesPerPartition ?? 1_048_576,
              readCommitted,
            });
      if (!fetched) {
        await this.#kafka.changed();
        continue;
      }
      if (fetched.records.length === 0) {
        // Only markers or aborted records: kafkajs moves past them without calling the handler.
        owned.position = fetched.lastOffset + 1n;
        continue;
      }
      await this.#slot();
      let resolved: bigint | undefined;
      let crashed: Error | undefined;
      try {
        if (!this.#live(generation) || this.#revoking) continue;
        const control: BatchControl = {
          heartbeat: async () => {
            this.heartbeats += 1;
            if (this.#expelled) throw kafkaError('UNKNOWN_MEMBER_ID', 'the session timed out');
            if (this.#revoking)
              throw kafkaError('REBALANCE_IN_PROGRESS', 'the group is rebalancing', true);
          },
          resolveOffset: (offset) => void (resolved = BigInt(offset)),
          isStale: () => this.#generation !== generation,
        };
        const batch: PartitionBatch = {
          topic: owned.topic,
          partition: owned.partition,
          records: fetched.records,
          highWatermark: String(log.end),
          lastOffset: String(fetched.lastOffset),
        };
        this.batches += 1;
        const handled = this.#handler!(batch, control);
        this.#active.add(handled);
        try {
          await handled;
        } catch (err) {
          crashed = err as Error;
        } finally {
          this.#active.delete(handled);
        }
        if (crashed) {
          // kafkajs restarts after a failed batch and fetches it again from the resolved position.
          for (const l of this.#crash) l(crashed, true);
          await new Promise((r) => setTimeout(r, 10));
        }
      } finally {
        this.#release();
      }
      if (crashed) continue;
      if (resolved !== undefined && this.#generation === generation) owned.position = resolved + 1n;
      // kafkajs would fetch the unresolved batch again over the network; here that would spin,
      // and a handler that resolved nothing (stopping, rebalancing) waits for a change anyway.
      else await this.#kafka.changed();
    }
  }

  async #slot(): Promise<void> {
    while (this.#busy >= (this.#o.partitionsConsumedConcurrently ?? 4))
      await new Promise<void>((r) => this.#slotWaiters.push(r));
    this.#busy += 1;
  }

  #release(): void {
    this.#busy -= 1;
    this.#slotWaiters.shift()?.();
  }
}
