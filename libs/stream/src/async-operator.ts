import { backoffDelay } from './backoff.ts';
import { InvalidOptionError, StreamError } from './errors.ts';

/** `ordered`: results emitted in input order; `unordered`: as they complete; `per-key`: one call at a time per key, in input order, keys independent. */
export type AsyncMode = 'ordered' | 'unordered' | 'per-key';

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

/** Options of {@link AsyncOperator}. */
export interface AsyncOperatorOptions<I, O> {
  /** Items holding a slot at once: a call in flight, or a call's retry waiting for its backoff. */
  capacity: number;
  /** Deadline counted from the moment the item enters the operator (queueing included); `Infinity` for none. */
  timeoutMs: number;
  mode: AsyncMode;
  /** Required for `per-key`: the key whose items are processed one after another, in input order. */
  keyOf?: (item: I) => string;
  /** The async function. `signal` aborts (reason: {@link AsyncTimeoutError}) when the deadline passes. */
  call: (item: I, signal: AbortSignal) => Promise<O>;
  retry?: AsyncRetryOptions;
  /**
   * The declared fallback value on final failure or timeout. When absent (or when it throws), the
   * result is a failure for the caller to route to the DLQ.
   */
  fallback?: (item: I, reason: AsyncFailure) => O;
  /** Clock in ms, monotonic and advancing with real time; `performance.now` by default. */
  now?: () => number;
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
// setTimeout fires at once for delays above this (2^31 - 1 ms).
const MAX_TIMER_MS = 2_147_483_647;

const QUEUED = 0;
const RUNNING = 1; // holds a slot: a call in flight or a retry waiting for its backoff
const DONE = 2;

interface Batch<I, O> {
  readonly entries: Entry<I, O>[];
  readonly results: AsyncResult<I, O>[];
  readonly arrivedAt: number;
  readonly deadline: number;
  /**
   * One signal for the whole batch: its items arrived together, so they share one deadline and
   * every item still unfinished at that moment times out with it.
   */
  readonly controller: AbortController;
  readonly onResult: ((r: AsyncResult<I, O>) => void) | undefined;
  readonly resolve: (results: AsyncResult<I, O>[]) => void;
  readonly reject: (err: unknown) => void;
  /** Entries without a result yet. */
  pending: number;
  /** Entries whose result was not emitted yet. */
  unemitted: number;
  /** ordered mode: the next entry to emit. */
  emitCursor: number;
  /** The first error thrown by onResult, reported when the batch settles. */
  callbackError: { error: unknown } | undefined;
}

interface Entry<I, O> {
  readonly item: I;
  readonly index: number;
  readonly batch: Batch<I, O>;
  readonly key: string | undefined;
  state: typeof QUEUED | typeof RUNNING | typeof DONE;
  attempts: number;
  result: AsyncResult<I, O> | undefined;
  retryTimer: NodeJS.Timeout | undefined;
}

/** The items of one key in per-key mode; the entry at `head` is the key's current one. */
interface Lane<I, O> {
  readonly entries: Entry<I, O>[];
  head: number;
}

/**
 * Flink's Async I/O with futures instead of threads: one promise-returning call per item, at most
 * `capacity` items holding a slot, a deadline per item counted from its arrival, retries with
 * backoff within that deadline, and exactly one result per item (value, fallback or failure:
 * never a silent drop).
 *
 * Why not p-limit: p-limit holds a slot until the function's promise settles and can neither drop
 * one queued call at its deadline nor hold a call back until the previous one of its key is done.
 * Here the slots, the ready queue, the per-key lanes and the deadlines are one small scheduler,
 * so a timed-out call frees its slot at once (its signal aborts; its late result is ignored) and a
 * queued item times out without ever being called.
 *
 * Cost per batch, not per item, where it can be: the items of a `process` call arrive together,
 * so they share one deadline, one AbortController and one entry in the deadline queue, and a
 * single timer serves the whole operator (armed for the oldest unfinished batch).
 *
 * @example
 * const enrich = new AsyncOperator<TelemetryEvent, Asset>({
 *   capacity: 64, timeoutMs: 2_000, mode: 'per-key', keyOf: (e) => e.deviceId,
 *   call: (e, signal) => assets.lookup(e.deviceId, { signal }),
 *   retry: { attempts: 3, baseMs: 20, maxMs: 500, isRetryable },
 * });
 * const results = await enrich.process(events);
 */
export class AsyncOperator<I, O> {
  readonly #capacity: number;
  readonly #timeoutMs: number;
  readonly #mode: AsyncMode;
  readonly #keyOf: ((item: I) => string) | undefined;
  readonly #call: (item: I, signal: AbortSignal) => Promise<O>;
  readonly #retry: AsyncRetryOptions | undefined;
  readonly #fallback: ((item: I, reason: AsyncFailure) => O) | undefined;
  readonly #now: () => number;
  readonly #hooks: AsyncOperatorHooks;

  #running = 0;
  #reportedInflight = 0;
  /** Entries allowed to start, in arrival order (per-key: only each key's current entry). */
  readonly #ready = new Fifo<Entry<I, O>>();
  /** Batches in arrival order, hence deadline order; the single timer serves the head. */
  readonly #deadlines = new Fifo<Batch<I, O>>();
  readonly #lanes = new Map<string, Lane<I, O>>();
  #timer: NodeJS.Timeout | undefined;

  constructor(opts: AsyncOperatorOptions<I, O>) {
    if (!Number.isInteger(opts.capacity) || opts.capacity < 1) {
      throw new InvalidOptionError('capacity', 'must be an integer >= 1');
    }
    if (!(opts.timeoutMs > 0)) throw new InvalidOptionError('timeoutMs', 'must be a number > 0');
    if (opts.mode !== 'ordered' && opts.mode !== 'unordered' && opts.mode !== 'per-key') {
      throw new InvalidOptionError('mode', "must be 'ordered', 'unordered' or 'per-key'");
    }
    if (opts.mode === 'per-key' && typeof opts.keyOf !== 'function') {
      throw new InvalidOptionError('keyOf', "is required in mode 'per-key'");
    }
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
    this.#capacity = opts.capacity;
    this.#timeoutMs = opts.timeoutMs;
    this.#mode = opts.mode;
    this.#keyOf = opts.mode === 'per-key' ? opts.keyOf : undefined;
    this.#call = opts.call;
    this.#retry = retry;
    this.#fallback = opts.fallback;
    this.#now = opts.now ?? (() => performance.now());
    this.#hooks = opts.hooks ?? {};
  }

  /** Items holding a slot now (calls in flight, or retries waiting for their backoff). */
  get inFlight(): number {
    return this.#running;
  }

  /**
   * Processes a batch: resolves with exactly one result per item, in input order. `onResult` sees
   * each result as it is emitted: in the batch's input order (`ordered`), as they complete
   * (`unordered`), or in input order within each key (`per-key`). Overlapping `process` calls
   * share the slots and the per-key order (an item waits for the earlier items of its key, whatever
   * their batch); ordered emission is per batch, so a slow batch (one partition) does not hold back
   * another. If `onResult` throws, every item is still processed and the returned promise rejects
   * with the first such error.
   */
  process(
    items: readonly I[],
    onResult?: (r: AsyncResult<I, O>) => void,
  ): Promise<AsyncResult<I, O>[]> {
    const n = items.length;
    if (n === 0) return Promise.resolve([]);
    let keys: string[] | undefined;
    if (this.#keyOf) {
      // Keys first, so a throwing keyOf rejects the batch before anything is queued.
      keys = new Array<string>(n);
      try {
        for (let i = 0; i < n; i++) keys[i] = this.#keyOf(items[i] as I);
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return new Promise<AsyncResult<I, O>[]>((resolve, reject) => {
      const arrivedAt = this.#now();
      const batch: Batch<I, O> = {
        entries: new Array<Entry<I, O>>(n),
        results: new Array<AsyncResult<I, O>>(n),
        arrivedAt,
        deadline: arrivedAt + this.#timeoutMs,
        controller: new AbortController(),
        onResult,
        resolve,
        reject,
        pending: n,
        unemitted: n,
        emitCursor: 0,
        callbackError: undefined,
      };
      for (let i = 0; i < n; i++) {
        const entry: Entry<I, O> = {
          item: items[i] as I,
          index: i,
          batch,
          key: keys?.[i],
          state: QUEUED,
          attempts: 0,
          result: undefined,
          retryTimer: undefined,
        };
        batch.entries[i] = entry;
        if (entry.key === undefined) {
          this.#ready.push(entry);
          continue;
        }
        const lane = this.#lanes.get(entry.key);
        if (lane) {
          lane.entries.push(entry);
        } else {
          this.#lanes.set(entry.key, { entries: [entry], head: 0 });
          this.#ready.push(entry);
        }
      }
      this.#deadlines.push(batch);
      this.#pump();
      this.#arm();
    });
  }

  /** Starts queued entries while slots are free. */
  #pump(): void {
    while (this.#running < this.#capacity) {
      const entry = this.#ready.shift();
      if (entry === undefined) break;
      if (entry.state !== QUEUED) continue; // timed out while queued
      entry.state = RUNNING;
      this.#running++;
      this.#attempt(entry);
    }
    if (this.#running !== this.#reportedInflight) {
      this.#reportedInflight = this.#running;
      this.#hooks.onInflight?.(this.#running);
    }
  }

  #attempt(entry: Entry<I, O>): void {
    entry.attempts++;
    let promise: Promise<O>;
    try {
      promise = this.#call(entry.item, entry.batch.controller.signal);
      if (typeof (promise as Partial<Promise<O>> | undefined)?.then !== 'function') {
        promise = Promise.resolve(promise);
      }
    } catch (err) {
      promise = Promise.reject(err);
    }
    promise.then(
      (value) => this.#onValue(entry, value),
      (err: unknown) => this.#onError(entry, err),
    );
  }

  #onValue(entry: Entry<I, O>, value: O): void {
    if (entry.state !== RUNNING) return; // a late result after the deadline: already answered
    this.#settle(entry, { item: entry.item, ok: true, value, fallback: false });
    this.#afterSettle(entry);
  }

  #onError(entry: Entry<I, O>, err: unknown): void {
    if (entry.state !== RUNNING) return;
    const retry = this.#retry;
    if (retry && entry.attempts < retry.attempts && isRetryable(retry, err)) {
      const delay = backoffDelay(entry.attempts, retry);
      // Retry only if the next call can start before the deadline; otherwise fail now with the
      // real error rather than wait for a timeout that says less.
      if (this.#now() + delay < entry.batch.deadline) {
        this.#hooks.onRetry?.();
        entry.retryTimer = setTimeout(() => {
          entry.retryTimer = undefined;
          if (entry.state === RUNNING) this.#attempt(entry);
        }, delay);
        return;
      }
    }
    this.#settle(
      entry,
      this.#failed(entry, { kind: 'error', error: err, attempts: entry.attempts }),
    );
    this.#afterSettle(entry);
  }

  /** The result of a final failure: the fallback value when declared (and not throwing), else the failure. */
  #failed(entry: Entry<I, O>, failure: AsyncFailure): AsyncResult<I, O> {
    if (this.#fallback) {
      try {
        return {
          item: entry.item,
          ok: true,
          value: this.#fallback(entry.item, failure),
          fallback: true,
        };
      } catch {
        // A throwing fallback must not lose the item: it goes to the DLQ with the original failure.
      }
    }
    return { item: entry.item, ok: false, failure };
  }

  /** Records an entry's result and frees what it held; emission and pumping are the caller's. */
  #settle(entry: Entry<I, O>, result: AsyncResult<I, O>): void {
    const wasRunning = entry.state === RUNNING;
    entry.state = DONE;
    entry.result = result;
    if (entry.retryTimer !== undefined) {
      clearTimeout(entry.retryTimer);
      entry.retryTimer = undefined;
    }
    if (wasRunning) this.#running--;
    if (entry.key !== undefined) this.#advanceLane(entry.key);
    const batch = entry.batch;
    this.#hooks.onDuration?.(this.#now() - batch.arrivedAt);
    if (--batch.pending === 0 && this.#deadlines.peek() === batch && this.#timer !== undefined) {
      // The timer waits for this batch's deadline: re-arm it for the next batch (or stop it).
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#arm();
    }
  }

  #afterSettle(entry: Entry<I, O>): void {
    this.#pump();
    if (this.#mode === 'ordered') this.#flushOrdered(entry.batch);
    else this.#emit(entry);
  }

  /** per-key: once a key's current entry is done, its next unfinished entry becomes ready. */
  #advanceLane(key: string): void {
    const lane = this.#lanes.get(key) as Lane<I, O>;
    const entries = lane.entries;
    const current = entries[lane.head] as Entry<I, O>;
    if (current.state !== DONE) return; // a later entry of the key timed out while waiting
    let head = lane.head + 1;
    while (head < entries.length && (entries[head] as Entry<I, O>).state === DONE) head++;
    if (head === entries.length) {
      this.#lanes.delete(key);
      return;
    }
    lane.head = head;
    this.#ready.push(entries[head] as Entry<I, O>);
    if (head >= 64 && head * 2 >= entries.length) {
      entries.splice(0, head);
      lane.head = 0;
    }
  }

  #emit(entry: Entry<I, O>): void {
    const batch = entry.batch;
    const result = entry.result as AsyncResult<I, O>;
    batch.results[entry.index] = result;
    entry.result = undefined;
    if (batch.onResult) {
      try {
        batch.onResult(result);
      } catch (error) {
        batch.callbackError ??= { error };
      }
    }
    if (--batch.unemitted === 0) {
      if (batch.callbackError) batch.reject(batch.callbackError.error);
      else batch.resolve(batch.results);
    }
  }

  /** ordered mode: emits the batch's results from its cursor up to the first unfinished item. */
  #flushOrdered(batch: Batch<I, O>): void {
    const entries = batch.entries;
    while (batch.emitCursor < entries.length) {
      const entry = entries[batch.emitCursor] as Entry<I, O>;
      if (entry.state !== DONE) return;
      batch.emitCursor++;
      this.#emit(entry);
    }
  }

  /** Arms the single timer for the oldest batch that still has unfinished items. */
  #arm(): void {
    if (this.#timer !== undefined) return;
    let head = this.#deadlines.peek();
    while (head && head.pending === 0) {
      this.#deadlines.shift();
      head = this.#deadlines.peek();
    }
    if (!head || head.deadline === Infinity) return;
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, Math.ceil(head.deadline - this.#now())));
    this.#timer = setTimeout(this.#onTimer, delay);
  }

  readonly #onTimer = (): void => {
    this.#timer = undefined;
    const now = this.#now();
    let expired = false;
    for (let batch = this.#deadlines.peek(); batch; batch = this.#deadlines.peek()) {
      if (batch.pending > 0 && batch.deadline > now) break;
      this.#deadlines.shift();
      if (batch.pending > 0) {
        this.#expire(batch);
        expired = true;
      }
    }
    // One pump after all expiries, so no call starts for an item about to expire in this sweep.
    if (expired) this.#pump();
    this.#arm();
  };

  /** Times out every unfinished item of a batch whose deadline passed. */
  #expire(batch: Batch<I, O>): void {
    // Abort first: the calls' rejections arrive later and are ignored, as the items are answered here.
    batch.controller.abort(new AsyncTimeoutError(this.#timeoutMs));
    const ordered = this.#mode === 'ordered';
    for (const entry of batch.entries) {
      if (entry.state === DONE) continue;
      this.#hooks.onTimeout?.();
      this.#settle(entry, this.#failed(entry, TIMEOUT));
      if (!ordered) this.#emit(entry);
    }
    if (ordered) this.#flushOrdered(batch);
  }
}

function isRetryable(retry: AsyncRetryOptions, err: unknown): boolean {
  try {
    return retry.isRetryable(err);
  } catch {
    return false; // a throwing classifier means "do not retry", not a lost item
  }
}

/** A FIFO queue over an array consumed from a head index: O(1) amortized, no per-item node. */
class Fifo<T> {
  #items: (T | undefined)[] = [];
  #head = 0;

  push(value: T): void {
    this.#items.push(value);
  }

  peek(): T | undefined {
    return this.#items[this.#head];
  }

  shift(): T | undefined {
    const items = this.#items;
    if (this.#head === items.length) return undefined;
    const value = items[this.#head];
    items[this.#head++] = undefined;
    if (this.#head === items.length) {
      items.length = 0;
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= items.length) {
      items.splice(0, this.#head);
      this.#head = 0;
    }
    return value;
  }
}
