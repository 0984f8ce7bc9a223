import { AsyncResource } from 'node:async_hooks';
import pLimit, { type LimitFunction } from 'p-limit';
import { backoffDelay } from './backoff.ts';
import { InvalidOptionError, StreamError } from './errors.ts';

/** Retries of an {@link AsyncOperator}: exponential backoff with full jitter, within the deadline only. */
export interface AsyncRetryOptions {
  /** Calls at most per item, the first one included (3 = one call and up to two retries). */
  attempts: number;
  baseMs: number;
  maxMs: number;
  /** Only errors for which this is true are retried; others fail at once. */
  isRetryable: (err: unknown) => boolean;
  /** Uniform random source in [0, 1) for the jitter; `Math.random` by default. */
  random?: () => number;
}

/** Hooks for metrics (fleetstream_inflight, _stage_duration_seconds, _async_timeouts_total, _async_retries_total). */
export interface AsyncOperatorHooks {
  /** Once per item that reached its deadline. */
  onTimeout?(): void;
  /** Once per retry scheduled. */
  onRetry?(): void;
  /** The number of items holding a slot, each time it changes. */
  onInflight?(n: number): void;
  /** Per item, ms from its arrival in the operator to its result (queueing and retries included). */
  onDuration?(ms: number): void;
}

/**
 * The time source of an {@link AsyncOperator}: its clock and its timers, one object so that a test
 * can drive both (a manual clock) instead of waiting on the wall clock.
 */
export interface OperatorClock {
  /** Monotonic ms. */
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** `performance.now` and Node's timers. */
export const systemClock: OperatorClock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Options of {@link AsyncOperator}. */
export interface AsyncOperatorOptions<I, O> {
  /** Items holding a slot at once: a call in flight, or a call's retry waiting for its backoff. */
  capacity: number;
  /** Deadline counted from the moment the item enters the operator (queueing included); `Infinity` for none. */
  timeoutMs: number;
  /** The async function. `signal` aborts (reason: {@link AsyncTimeoutError}) when the deadline passes. */
  call: (item: I, signal: AbortSignal) => Promise<O>;
  retry?: AsyncRetryOptions;
  /**
   * The declared fallback value on final failure or timeout. When absent (or when it throws), the
   * result is a failure for the caller to route to the DLQ.
   */
  fallback?: (item: I, reason: AsyncFailure) => O;
  /** {@link systemClock} by default. */
  clock?: OperatorClock;
  hooks?: AsyncOperatorHooks;
}

export type AsyncFailure =
  { kind: 'timeout' } | { kind: 'error'; error: unknown; attempts: number };

export type AsyncResult<I, O> =
  | { item: I; ok: true; value: O; fallback: boolean }
  | { item: I; ok: false; failure: AsyncFailure };

/** The abort reason given to `call`'s signal when an item's deadline passes. */
export class AsyncTimeoutError extends StreamError {
  readonly timeoutMs: number;

  constructor(timeoutMs: number) {
    super('STREAM_ASYNC_TIMEOUT', `STREAM_ASYNC_TIMEOUT: no result within ${timeoutMs} ms of arrival`, { retryable: true, details: { timeoutMs } });
    this.timeoutMs = timeoutMs;
  }
}

const TIMEOUT: AsyncFailure = Object.freeze({ kind: 'timeout' as const });
// setTimeout fires at once for delays above this (2^31 - 1 ms); a longer deadline re-arms.
const MAX_TIMER_MS = 2_147_483_647;

/** The items of one `process` call: they arrived together, so they share one deadline and one signal. */
interface Batch<I, O> {
  readonly items: readonly I[];
  /** One result per item once answered; `undefined` while queued or running. */
  readonly results: (AsyncResult<I, O> | undefined)[];
  /** The items holding a slot, by index: what the deadline must release. */
  readonly slots: (Slot | undefined)[];
  readonly arrivedAt: number;
  readonly deadline: number;
  /** The deadline as an AbortSignal started at arrival: aborted by the batch's timer. */
  readonly controller: AbortController;
  readonly resolve: (results: AsyncResult<I, O>[]) => void;
  /** The function handed to p-limit for this batch's items, bound to the batch's async context. */
  readonly run: (batch: Batch<I, O>, index: number) => Promise<void> | undefined;
  timer: unknown;
  /** Items without a result yet. */
  pending: number;
  /** The next item to hand to p-limit (see {@link AsyncOperator}'s feed). */
  cursor: number;
}

/** An item holding a slot: its p-limit function stays pending until `release`. */
interface Slot {
  readonly index: number;
  readonly release: () => void;
  attempts: number;
  retryTimer: unknown;
}

/**
 * Flink's Async I/O with futures instead of threads: one promise-returning call per item, at most
 * `capacity` items holding a slot, a deadline per item counted from its arrival, retries with
 * backoff within that deadline, and exactly one result per item (value, fallback or failure:
 * never a silent drop), in input order.
 *
 * The slots and their queue are p-limit's. The deadline is an AbortSignal started when the batch
 * arrives: at that moment every unanswered item of the batch is answered (timeout or fallback),
 * the signal aborts the calls, and each timed-out call's p-limit function returns, so its slot
 * goes to the next queued item at once (the late result is ignored). A queued item whose deadline
 * passed is never called: when p-limit hands it a slot its function returns without calling (see
 * the README for what p-limit cannot do here).
 *
 * Results come back in input order and nothing is emitted early: its one caller (enrich) sends
 * distinct keys and reorders by index itself, so ordered or per-key emission would buy nothing.
 *
 * @example
 * const enrich = new AsyncOperator<string, Asset>({
 *   capacity: 64, timeoutMs: 2_000,
 *   call: (deviceId, signal) => assets.lookup(deviceId, { signal }),
 *   retry: { attempts: 3, baseMs: 20, maxMs: 500, isRetryable },
 * });
 * const results = await enrich.process(deviceIds);
 */
export class AsyncOperator<I, O> {
  readonly #timeoutMs: number;
  readonly #call: (item: I, signal: AbortSignal) => Promise<O>;
  readonly #retry: AsyncRetryOptions | undefined;
  readonly #fallback: ((item: I, reason: AsyncFailure) => O) | undefined;
  readonly #clock: OperatorClock;
  readonly #hooks: AsyncOperatorHooks;
  readonly #limit: LimitFunction;
  /** Items kept in p-limit's queue at most (see #feed). */
  readonly #window: number;
  /** Batches with items not yet handed to p-limit, in arrival order. */
  readonly #waiting: Batch<I, O>[] = [];
  #reportedInflight = 0;

  constructor(opts: AsyncOperatorOptions<I, O>) {
    if (!Number.isInteger(opts.capacity) || opts.capacity < 1) {
      throw new InvalidOptionError('capacity', 'must be an integer >= 1');
    }
    if (!(opts.timeoutMs > 0)) throw new InvalidOptionError('timeoutMs', 'must be a number > 0');
    if (typeof opts.call !== 'function') throw new InvalidOptionError('call', 'must be a function');
    const retry = opts.retry;
    if (retry) {
      if (!Number.isInteger(retry.attempts) || retry.attempts < 1) {
        throw new InvalidOptionError('retry.attempts', 'must be an integer >= 1');
      }
      if (!(retry.baseMs >= 0) || !Number.isFinite(retry.baseMs)) {
        throw new InvalidOptionError('retry.baseMs', 'must be a finite number >= 0');
      }
      if (!(retry.maxMs >= retry.baseMs)) {
        throw new InvalidOptionError('retry.maxMs', 'must be a number >= retry.baseMs');
      }
      if (typeof retry.isRetryable !== 'function') {
        throw new InvalidOptionError('retry.isRetryable', 'must be a function');
      }
    }
    this.#timeoutMs = opts.timeoutMs;
    this.#call = opts.call;
    this.#retry = retry;
    this.#fallback = opts.fallback;
    this.#clock = opts.clock ?? systemClock;
    this.#hooks = opts.hooks ?? {};
    this.#limit = pLimit(opts.capacity);
    this.#window = opts.capacity;
  }

  /** Items holding a slot now (calls in flight, or retries waiting for their backoff). */
  get inFlight(): number {
    return this.#limit.activeCount;
  }

  /** Items handed to the slots' queue and not started yet: at most `capacity` (the rest wait in their batch, see #feed). */
  get queued(): number {
    return this.#limit.pendingCount;
  }

  /**
   * Processes a batch: resolves with exactly one result per item, in input order, once every item
   * is answered. Overlapping `process` calls share the slots, in arrival order.
   */
  process(items: readonly I[]): Promise<AsyncResult<I, O>[]> {
    const n = items.length;
    if (n === 0) return Promise.resolve([]);
    return new Promise<AsyncResult<I, O>[]>((resolve) => {
      const arrivedAt = this.#clock.now();
      const batch: Batch<I, O> = {
        items,
        results: new Array<AsyncResult<I, O> | undefined>(n),
        slots: new Array<Slot | undefined>(n),
        arrivedAt,
        deadline: arrivedAt + this.#timeoutMs,
        controller: new AbortController(),
        resolve: resolve as (results: AsyncResult<I, O>[]) => void,
        // p-limit runs a queued call in the async context of the call that freed its slot; bound
        // here, each call runs in its own batch's context (its trace span, its log fields).
        run: AsyncResource.bind(this.#run),
        timer: undefined,
        pending: n,
        cursor: 0,
      };
      this.#armDeadline(batch);
      this.#waiting.push(batch);
      this.#feed();
    });
  }

  /**
   * Hands items to p-limit in arrival order, keeping at most `capacity` in its queue; the rest wait
   * in their batch (a cursor each). p-limit holds a promise, a resolver and a bound function per
   * queued item; with whole chunks queued (enrich: 8,000 items behind 200 slots, ~1 s) those outlived
   * young-generation collections and were copied and promoted (GC was the largest part of enrich's
   * CPU per call above a bare client's). A full window is enough to keep every slot busy: it is
   * topped up each time p-limit starts an item. An item answered while it waited here (its
   * deadline passed) is never handed over.
   */
  #feed(): void {
    const waiting = this.#waiting;
    while (waiting.length > 0 && this.#limit.pendingCount < this.#window) {
      const batch = waiting[0] as Batch<I, O>;
      const n = batch.items.length;
      let i = batch.cursor;
      while (i < n && batch.results[i] !== undefined) i++;
      if (i >= n) {
        waiting.shift();
        continue;
      }
      batch.cursor = i + 1;
      // #run never rejects; the then reports the count once p-limit has taken the slot back.
      void this.#limit(batch.run, batch, i).then(this.#reportInflight);
    }
  }

  #armDeadline(batch: Batch<I, O>): void {
    if (batch.deadline === Infinity) return;
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, Math.ceil(batch.deadline - this.#clock.now())));
    batch.timer = this.#clock.setTimeout(() => {
      batch.timer = undefined;
      if (batch.pending === 0) return;
      // A timer may fire a little early (whole-ms timers) or a very long deadline may need several.
      if (this.#clock.now() < batch.deadline) this.#armDeadline(batch);
      else this.#expire(batch);
    }, delay);
  }

  /** The function p-limit runs in a slot: it settles when the item is answered, never rejects. */
  readonly #run = (batch: Batch<I, O>, index: number): Promise<void> | undefined => {
    this.#reportInflight();
    this.#feed(); // p-limit's queue just got shorter by this item
    if (batch.results[index] !== undefined) return undefined; // answered at its deadline while queued
    if (this.#clock.now() >= batch.deadline) {
      // Its deadline passed while queued but its timer has not run yet (another timer of the same
      // moment freed this slot first): answer the whole batch now rather than call.
      this.#expire(batch);
      return undefined;
    }
    return new Promise<void>((release) => {
      const slot: Slot = { index, release, attempts: 0, retryTimer: undefined };
      batch.slots[index] = slot;
      this.#attempt(batch, slot);
    });
  };

  readonly #reportInflight = (): void => {
    const n = this.#limit.activeCount;
    if (n === this.#reportedInflight) return;
    this.#reportedInflight = n;
    this.#hooks.onInflight?.(n);
  };

  #attempt(batch: Batch<I, O>, slot: Slot): void {
    slot.attempts++;
    const item = batch.items[slot.index] as I;
    let promise: Promise<O>;
    try {
      promise = this.#call(item, batch.controller.signal);
      if (typeof (promise as Partial<Promise<O>> | undefined)?.then !== 'function') {
        promise = Promise.resolve(promise);
      }
    } catch (err) {
      promise = Promise.reject(err);
    }
    promise.then(
      (value) => this.#answer(batch, slot.index, { item, ok: true, value, fallback: false }),
      (err: unknown) => this.#onError(batch, slot, err),
    );
  }

  #onError(batch: Batch<I, O>, slot: Slot, err: unknown): void {
    if (batch.results[slot.index] !== undefined) return; // a late failure after the deadline
    const retry = this.#retry;
    if (retry && slot.attempts < retry.attempts && isRetryable(retry, err)) {
      const delay = backoffDelay(slot.attempts, retry);
      // Retry only if the next call can start before the deadline; otherwise fail now with the
      // real error rather than wait for a timeout that says less.
      if (this.#clock.now() + delay < batch.deadline) {
        this.#hooks.onRetry?.();
        slot.retryTimer = this.#clock.setTimeout(() => {
          slot.retryTimer = undefined;
          if (batch.results[slot.index] === undefined) this.#attempt(batch, slot);
        }, delay);
        return;
      }
    }
    this.#answer(batch, slot.index, this.#failed(batch.items[slot.index] as I, { kind: 'error', error: err, attempts: slot.attempts }));
  }

  /** The result of a final failure: the fallback value when declared (and not throwing), else the failure. */
  #failed(item: I, failure: AsyncFailure): AsyncResult<I, O> {
    if (this.#fallback) {
      try {
        return { item, ok: true, value: this.#fallback(item, failure), fallback: true };
      } catch {
        // A throwing fallback must not lose the item: it goes to the DLQ with the original failure.
      }
    }
    return { item, ok: false, failure };
  }

  /** Records an item's first result, frees its slot, and resolves the batch with its last one. */
  #answer(batch: Batch<I, O>, index: number, result: AsyncResult<I, O>): void {
    if (batch.results[index] !== undefined) return; // a late result after the deadline
    batch.results[index] = result;
    const slot = batch.slots[index];
    if (slot) {
      batch.slots[index] = undefined;
      if (slot.retryTimer !== undefined) this.#clock.clearTimeout(slot.retryTimer);
      slot.release();
    }
    this.#hooks.onDuration?.(this.#clock.now() - batch.arrivedAt);
    if (--batch.pending > 0) return;
    if (batch.timer !== undefined) {
      this.#clock.clearTimeout(batch.timer);
      batch.timer = undefined;
    }
    if (batch.cursor < batch.items.length) {
      // Answered before all its items were handed over (its deadline): nothing left to feed.
      const at = this.#waiting.indexOf(batch);
      if (at >= 0) this.#waiting.splice(at, 1);
    }
    batch.resolve(batch.results as AsyncResult<I, O>[]);
  }

  /** The deadline passed: aborts the batch's calls and answers every unanswered item with a timeout. */
  #expire(batch: Batch<I, O>): void {
    // Abort first: the calls' rejections arrive later and are ignored, as the items are answered here.
    batch.controller.abort(new AsyncTimeoutError(this.#timeoutMs));
    const { items, results } = batch;
    for (let i = 0; i < items.length && batch.pending > 0; i++) {
      if (results[i] !== undefined) continue;
      this.#hooks.onTimeout?.();
      this.#answer(batch, i, this.#failed(items[i] as I, TIMEOUT));
    }
  }
}

function isRetryable(retry: AsyncRetryOptions, err: unknown): boolean {
  try {
    return retry.isRetryable(err);
  } catch {
    return false; // a throwing classifier means "do not retry", not a lost item
  }
}
