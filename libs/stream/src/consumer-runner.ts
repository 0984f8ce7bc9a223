import type { Logger } from 'pino';
import type { InboundRecord, TopicPartitionOffset } from './types.ts';
import type { BatchControl, PartitionBatch, StreamConsumer } from './kafka/types.ts';
import type { StreamMetrics } from './metrics.ts';
import { OffsetTracker } from './offset-tracker.ts';
import { TokenBucket } from './token-bucket.ts';
import { backoffDelay } from './backoff.ts';
import { errorClass, isFatal, isRetryable } from './errors.ts';
import type { DeadLetter } from './dlq.ts';

/** Limits of a throttled consumer. 0 means "no limit" for the rates and the interval. */
export interface ThrottleOptions {
  /** Records handed to the handler at once (a fetch is cut into chunks of this size). */
  maxRecordsPerBatch: number;
  /** Minimum time between two chunks of the consumer. */
  minFetchIntervalMs: number;
  recordsPerSec: number;
  bytesPerSec: number;
  /** Cap on records being handled at once across partitions. */
  maxInFlight: number;
}

export interface HandlerContext {
  topic: string;
  partition: number;
  /** Aborted when the service stops or the partition is revoked: stop starting new work. */
  signal: AbortSignal;
}

/** Resolves when every record is done: produced (acks=all), written, or in the DLQ. */
export type BatchHandler = (records: InboundRecord[], ctx: HandlerContext) => Promise<void>;

export interface ConsumerRunnerOptions {
  consumer: StreamConsumer;
  handler: BatchHandler;
  throttle: ThrottleOptions;
  commitIntervalMs: number;
  heartbeatIntervalMs?: number;
  metrics: StreamMetrics;
  logger: Logger;
  /**
   * false when the handler commits offsets itself (inside a Kafka transaction): the runner then
   * only tracks progress. Default true.
   */
  commitOffsets?: boolean;
  /**
   * Sends records that failed for good (a non-retryable, non-fatal error on the record alone) to
   * the DLQ, durably (with their offsets, in a transactional stage). Without it such a failure is
   * fatal: the runner never skips a record it could not put anywhere.
   */
  deadLetter?: (letters: DeadLetter[], ctx: HandlerContext) => Promise<void>;
  /**
   * Called once when the sink itself cannot work ({@link isFatal}: bad credentials, a missing table
   * or topic): the runner stops handing out work and the service is to stop (exit non-zero).
   */
  onFatal?: (err: unknown) => void;
  /** Backoff of retryable failures (default 200 ms .. 10 s, full jitter). */
  retryBackoff?: { baseMs: number; maxMs: number };
  /** Test hook: called after each commit with what was committed. */
  onCommit?: (offsets: TopicPartitionOffset[]) => void;
}

interface PartitionState {
  tracker: OffsetTracker;
  lastTracked: bigint;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * A throttled, checkpointing consumer. It hands the handler per-partition chunks, keeps
 * heartbeats going while the handler works, and commits per partition only the offset below which
 * every record is done — on an interval, when a rebalance starts (after the partition's
 * in-flight chunk drained) and on stop.
 *
 * Back pressure: the handler is awaited, and kafkajs fetches a partition again only after its
 * batch returned, so waiting on the throttle or the in-flight cap holds the partition's fetching
 * (no buffer grows); a slow sink slows the consumer instead of failing it.
 */
export class ConsumerRunner {
  readonly #o: ConsumerRunnerOptions;
  readonly #partitions = new Map<string, PartitionState>();
  readonly #records: TokenBucket | undefined;
  readonly #bytes: TokenBucket | undefined;
  readonly #abort = new AbortController();
  readonly #log: Logger;
  #inFlight = 0;
  /** Records admitted under the cap but not yet handed to the handler (counted against the cap). */
  #reserved = 0;
  #inFlightWaiters: (() => void)[] = [];
  #nextChunkAt = 0;
  #assigned = false;
  #rebalancing = false;
  #stopping = false;
  #fatal: unknown;
  #activeBatches = 0;
  #lastCommitAt = Date.now();
  #commitChain: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;

  constructor(options: ConsumerRunnerOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: 'consumer' });
    const { recordsPerSec, bytesPerSec } = options.throttle;
    this.#records = recordsPerSec > 0 ? new TokenBucket({ ratePerSec: recordsPerSec, burst: Math.max(1, Math.min(recordsPerSec, options.throttle.maxRecordsPerBatch)) }) : undefined;
    this.#bytes = bytesPerSec > 0 ? new TokenBucket({ ratePerSec: bytesPerSec, burst: bytesPerSec }) : undefined;
  }

  /** True once the group assigned this member its partitions. */
  get ready(): boolean {
    return this.#assigned && !this.#stopping;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  async start(): Promise<void> {
    const { consumer } = this.#o;
    consumer.onAssigned((assignment) => {
      this.#rebalancing = false;
      const owned = new Set(assignment.flatMap((a) => a.partitions.map((p) => `${a.topic}:${p}`)));
      for (const key of this.#partitions.keys()) if (!owned.has(key)) this.#partitions.delete(key);
      this.#assigned = true;
      this.#log.info({ assignment }, 'partitions assigned');
    });
    consumer.onRebalancing(() => {
      this.#rebalancing = true;
      void this.commit('rebalance');
    });
    consumer.onCrash((err, restarting) => this.#log.error({ err, restarting }, 'consumer crashed'));
    await consumer.connect();
    await consumer.run((batch, control) => this.#onBatch(batch, control));
    this.#timer = setInterval(() => void this.commit('interval'), this.#o.commitIntervalMs);
    this.#timer.unref();
  }

  /** Stops fetching, lets in-flight chunks finish until the deadline, commits, leaves the group. */
  async stop(deadlineMs: number): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    const deadline = Date.now() + deadlineMs;
    while (this.#activeBatches > 0 && Date.now() < deadline) await sleep(20);
    this.#abort.abort();
    if (this.#timer) clearInterval(this.#timer);
    await this.commit('shutdown');
    await this.#o.consumer.disconnect();
  }

  /** Commits, per partition, the offset below which everything is done. */
  commit(reason: string): Promise<void> {
    this.#commitChain = this.#commitChain.then(async () => {
      const offsets: TopicPartitionOffset[] = [];
      const marks: [OffsetTracker, bigint][] = [];
      for (const [key, state] of this.#partitions) {
        const next = state.tracker.committable();
        if (next === undefined) continue;
        const [topic, partition] = splitKey(key);
        offsets.push({ topic, partition, offset: next.toString() });
        marks.push([state.tracker, next]);
      }
      this.#lastCommitAt = Date.now();
      if (offsets.length === 0) return;
      if (this.#o.commitOffsets === false) {
        for (const [tracker, next] of marks) tracker.markCommitted(next);
        return;
      }
      try {
        await this.#o.consumer.commit(offsets);
        for (const [tracker, next] of marks) tracker.markCommitted(next);
        for (const o of offsets) this.#o.metrics.committedOffset.set({ service: this.#o.metrics.service, topic: o.topic, partition: String(o.partition) }, Number(o.offset));
        this.#o.onCommit?.(offsets);
      } catch (err) {
        // Not fatal: the records stay uncommitted and are committed next time (or re-read after a rebalance).
        this.#log.warn({ err, reason }, 'offset commit failed');
      }
    });
    return this.#commitChain;
  }

  async #onBatch(batch: PartitionBatch, control: BatchControl): Promise<void> {
    const { topic, partition, records } = batch;
    if (this.#stopping || this.#fatal !== undefined || records.length === 0) return;
    this.#activeBatches += 1;
    try {
      const state = this.#stateFor(topic, partition, BigInt(records[0]!.offset));
      const { maxRecordsPerBatch } = this.#o.throttle;
      const svc = this.#o.metrics.service;
      let done = 0;
      for (let i = 0; i < records.length; i += maxRecordsPerBatch) {
        if (this.#stopping || this.#fatal !== undefined || this.#rebalancing || control.isStale()) break;
        const chunk = records.slice(i, i + maxRecordsPerBatch);
        await this.#admit(chunk, control);
        // The admitted slots pass to #handle, which counts them in #inFlight before its first await.
        this.#reserved -= chunk.length;
        if (this.#stopping || control.isStale()) {
          for (const w of this.#inFlightWaiters.splice(0)) w();
          break;
        }
        for (const r of chunk) state.tracker.track(BigInt(r.offset));
        state.lastTracked = BigInt(chunk[chunk.length - 1]!.offset);
        if (!(await this.#handle(chunk, control))) break;
        for (const r of chunk) state.tracker.complete(BigInt(r.offset));
        control.resolveOffset(chunk[chunk.length - 1]!.offset);
        done += chunk.length;
        this.#o.metrics.recordsIn.inc({ service: svc, topic }, chunk.length);
        if (Date.now() - this.#lastCommitAt >= this.#o.commitIntervalMs) void this.commit('interval');
      }
      if (done === records.length && BigInt(batch.lastOffset) > state.lastTracked) {
        // A transaction marker ends the batch: move past it so the committed offset reaches the end.
        state.tracker.track(BigInt(batch.lastOffset));
        state.tracker.complete(BigInt(batch.lastOffset));
        state.lastTracked = BigInt(batch.lastOffset);
        control.resolveOffset(batch.lastOffset);
      }
      if (this.#rebalancing || this.#stopping) await this.commit(this.#stopping ? 'shutdown' : 'rebalance');
    } finally {
      this.#activeBatches -= 1;
    }
  }

  /**
   * Runs the handler on a chunk, with heartbeats, until every record of it is done; false when it
   * could not be (the runner stops or the sink failed for good) and the chunk stays uncommitted.
   */
  async #handle(chunk: InboundRecord[], control: BatchControl): Promise<boolean> {
    const svc = this.#o.metrics.service;
    const heartbeat = setInterval(() => void control.heartbeat().catch(() => undefined), this.#o.heartbeatIntervalMs ?? 1_000);
    this.#inFlight += chunk.length;
    this.#o.metrics.inflight.set({ service: svc, stage: 'consumer' }, this.#inFlight);
    const end = this.#o.metrics.stageDuration.startTimer({ service: svc, stage: 'batch' });
    try {
      return await this.#deliver(chunk);
    } finally {
      end();
      clearInterval(heartbeat);
      this.#inFlight -= chunk.length;
      this.#o.metrics.inflight.set({ service: svc, stage: 'consumer' }, this.#inFlight);
      for (const w of this.#inFlightWaiters.splice(0)) w();
    }
  }

  /**
   * The error policy (errors.ts decides): a retryable error is retried with backoff; a fatal one
   * (the sink cannot work) stops the service; any other error is the records' own: a chunk is
   * handled again record by record, so good records still flow, and a record that fails alone goes
   * to the DLQ with its reason and the partition goes on.
   */
  async #deliver(chunk: InboundRecord[]): Promise<boolean> {
    const { topic, partition } = chunk[0]!;
    const ctx: HandlerContext = { topic, partition, signal: this.#abort.signal };
    const handled = await this.#retrying(chunk, () => this.#o.handler(chunk, ctx));
    if (typeof handled === 'boolean') return handled;
    if (chunk.length > 1) {
      this.#log.warn({ err: handled.error, topic, partition, offset: chunk[0]!.offset, records: chunk.length }, 'chunk failed for good; handling its records one by one');
      for (const record of chunk) if (!(await this.#deliver([record]))) return false;
      return true;
    }
    const { deadLetter } = this.#o;
    if (!deadLetter) return this.#fail(handled.error);
    const letters: DeadLetter[] = [{ record: chunk[0]!, error: handled.error }];
    this.#log.warn({ err: handled.error, topic, partition, offset: chunk[0]!.offset, reason: errorClass(handled.error) }, 'record failed for good; sending it to the DLQ');
    const sent = await this.#retrying(chunk, () => deadLetter(letters, ctx));
    return typeof sent === 'boolean' ? sent : this.#fail(sent.error);
  }

  /**
   * The runner's one retry loop: true when `fn` succeeded, false when it cannot (stopping, or
   * fatal), else the non-retryable error for the caller to place.
   */
  async #retrying(chunk: InboundRecord[], fn: () => Promise<void>): Promise<boolean | { error: unknown }> {
    const backoff = this.#o.retryBackoff ?? { baseMs: 200, maxMs: 10_000 };
    for (let attempt = 1; ; attempt += 1) {
      try {
        await fn();
        return true;
      } catch (err) {
        if (this.#abort.signal.aborted || this.#fatal !== undefined) return false;
        if (isFatal(err)) return this.#fail(err);
        if (!isRetryable(err)) return { error: err };
        const delay = backoffDelay(attempt, backoff);
        this.#log.error({ err, topic: chunk[0]!.topic, partition: chunk[0]!.partition, offset: chunk[0]!.offset, attempt, retryInMs: Math.round(delay) }, 'batch handler failed; retrying');
        await sleep(delay);
      }
    }
  }

  /** The sink cannot work: stop handing out work, say why once, and let the service stop. */
  #fail(err: unknown): false {
    if (this.#fatal === undefined) {
      this.#fatal = err ?? new Error('the sink failed without an error');
      this.#log.fatal({ err }, 'the sink cannot work; stopping the service');
      this.#o.onFatal?.(err);
    }
    return false;
  }

  /** The error that stopped the runner for good, if one did. */
  get fatalError(): unknown {
    return this.#fatal;
  }

  /**
   * Waits on the minimum interval and the in-flight cap, then reserves the chunk's slots in the
   * same step as the check (partitions admitted at once cannot both pass and overshoot the cap),
   * then waits on the token buckets; counts the wait. The caller releases the reservation.
   */
  async #admit(chunk: InboundRecord[], control: BatchControl): Promise<void> {
    const started = Date.now();
    const { minFetchIntervalMs, maxInFlight } = this.#o.throttle;
    let bytes = 0;
    if (this.#bytes) for (const r of chunk) bytes += (r.value?.length ?? 0) + (r.key?.length ?? 0);
    for (;;) {
      const untilNext = this.#nextChunkAt - Date.now();
      if (untilNext > 0) {
        await this.#sleepWithHeartbeat(untilNext, control);
        continue;
      }
      const taken = this.#inFlight + this.#reserved;
      if (taken > 0 && taken + chunk.length > maxInFlight) {
        await new Promise<void>((r) => this.#inFlightWaiters.push(r));
        continue;
      }
      this.#reserved += chunk.length;
      break;
    }
    for (const [bucket, n] of [[this.#records, chunk.length], [this.#bytes, bytes]] as const) {
      if (!bucket || n === 0) continue;
      for (let wait = bucket.tryTake(n); wait > 0 && !this.#stopping; wait = bucket.tryTake(n)) {
        await this.#sleepWithHeartbeat(wait, control);
      }
    }
    this.#nextChunkAt = Date.now() + minFetchIntervalMs;
    const waited = Date.now() - started;
    if (waited > 0) this.#o.metrics.throttleWait.inc({ service: this.#o.metrics.service }, waited / 1000);
  }

  async #sleepWithHeartbeat(ms: number, control: BatchControl): Promise<void> {
    const until = Date.now() + ms;
    while (Date.now() < until && !this.#stopping) {
      await sleep(Math.min(until - Date.now(), 1_000));
      await control.heartbeat().catch(() => undefined);
    }
  }

  #stateFor(topic: string, partition: number, firstOffset: bigint): PartitionState {
    const key = `${topic}:${partition}`;
    let state = this.#partitions.get(key);
    if (!state || firstOffset <= state.lastTracked) {
      // New partition, or the partition is read again from an earlier offset (after a failed
      // commit or a rebalance): start a fresh tracker; what was committed stays committed.
      state = { tracker: new OffsetTracker(), lastTracked: -1n };
      this.#partitions.set(key, state);
    }
    return state;
  }
}

function splitKey(key: string): [string, number] {
  const i = key.lastIndexOf(':');
  return [key.slice(0, i), Number(key.slice(i + 1))];
}
