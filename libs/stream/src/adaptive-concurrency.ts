import { InvalidOptionError, StreamError } from './errors.ts';

/** Options of {@link AdaptiveConcurrency}. */
export interface AdaptiveConcurrencyOptions {
  /** The floor: the limit never goes below it (an integer >= 1). */
  min: number;
  /** The ceiling: the limit never goes above it. */
  max: number;
  /** The starting limit; `min` by default (start low, probe up: a catch-up must not open at full blast). */
  initial?: number;
  /** Additive increase after one window of successes; 1 by default. */
  increaseBy?: number;
  /**
   * TCP-like slow start: until the first congestion signal, every success of a call made while the
   * limit was all in use (or callers waited) adds 1 to the limit, so it doubles per window instead
   * of growing by `increaseBy`; a trickle that never fills the limit does not raise it. false by
   * default. The first decrease ends it for good: from there on the probing is additive.
   */
  slowStart?: boolean;
  /** Multiplicative decrease on congestion, in (0, 1); 0.5 by default. */
  decreaseFactor?: number;
  /** When set, an 'ok' release slower than this counts as congestion too. */
  latencyTargetMs?: number;
  /** Minimum time between two decreases, in ms; 0 by default (see {@link AdaptiveConcurrency}). */
  cooldownMs?: number;
  /** Clock in ms; `performance.now` by default. */
  now?: () => number;
}

/** How a call under a slot ended: see {@link AdaptiveConcurrency.release}. */
export type ReleaseOutcome = 'ok' | 'overload' | 'error';

/** `release` was called with no slot held: a bug in the caller. */
export class AdaptiveConcurrencyError extends StreamError {
  constructor() {
    super('STREAM_SLOT_NOT_HELD', 'STREAM_SLOT_NOT_HELD: release() without a matching acquire()');
  }
}

const RESOLVED: Promise<void> = Promise.resolve();

/** What {@link AdaptiveConcurrency.run} knows of a call: the decrease count at its grant, and whether it joined the old window. */
interface Grant {
  epoch: number;
  joinedOld: boolean;
}

/**
 * An AIMD concurrency limiter for sinks (Cassandra writes, produce calls): it finds how many calls
 * the sink takes at once and back-pressures the caller beyond that, so a catch-up runs exactly as
 * fast as the sink can take.
 *
 * - Additive increase: +`increaseBy` after `limit` successful releases (one window).
 * - Optional slow start (`slowStart`): +1 per successful release until the first congestion
 *   signal, so the limit doubles per window and a short run is not spent far below what the sink
 *   takes: from 1 to 64 in 6 windows instead of about 63.
 * - Multiplicative decrease on congestion (an overload error, or latency above the target):
 *   `limit * decreaseFactor`, floored, at most once per congestion event. When a sink is
 *   overloaded, every call in flight tends to fail together; those calls started before the
 *   decrease, so their outcomes are not counted again. {@link run} knows when each call started
 *   and tells exactly; a plain {@link release} cannot, so the next `inFlight` releases after a
 *   decrease are taken as the old calls (exact when calls finish in the order they started).
 *   `cooldownMs` adds a minimum time between decreases on top of that.
 * - Recovery (calls made through {@link run}): a call that starts while calls from before the
 *   last decrease are still in flight joins that old window too. An overloaded sink still holds
 *   the old calls in its queue, so a call sent behind them times out for their sake, not for the
 *   lowered limit's: counting it would cut the limit again and again, down to the floor, within
 *   one timeout (seen against a Cassandra with 2 write threads: 8, 4, 2, 1 in one second). So
 *   the limit is cut at most once per round trip of the sink, as TCP cuts its window once per
 *   window of data in flight. Once the old calls are gone, the next overload counts again.
 * - The limit never leaves [min, max]; waiters are served in FIFO order without polling.
 *
 * @example
 * const writes = new AdaptiveConcurrency({ min: 1, initial: 8, max: 256, slowStart: true });
 * writes.onChange = (limit) => sinkConcurrency.set(limit);
 * await writes.run(() => client.execute(query, params), isOverloadError);
 */
export class AdaptiveConcurrency {
  /** Called with the new limit whenever it changes (wired to `fleetstream_sink_concurrency`). */
  onChange?: (limit: number) => void;

  readonly #min: number;
  readonly #max: number;
  readonly #increaseBy: number;
  #slowStart: boolean;
  readonly #decreaseFactor: number;
  readonly #latencyTargetMs: number | undefined;
  readonly #cooldownMs: number;
  readonly #now: () => number;
  #limit: number;
  #inFlight = 0;
  #successes = 0;
  #lastDecreaseAt = -Infinity;
  /** Number of decreases so far: a call started in an older epoch is stale. */
  #epoch = 0;
  /** Calls in flight at the last decrease not yet released (for plain releases: by count). */
  #staleReleases = 0;
  // FIFO of waiters: an array consumed from #waitHead, reset when empty.
  #waiters: ((grant: Grant) => void)[] = [];
  /** Releases of calls that joined the old window since the last decrease (see Recovery). */
  #joinedReleases = 0;
  #waitHead = 0;

  constructor(opts: AdaptiveConcurrencyOptions) {
    const { min, max } = opts;
    if (!Number.isInteger(min) || min < 1)
      throw new InvalidOptionError('min', 'must be an integer >= 1');
    if (!(max >= min)) throw new InvalidOptionError('max', 'must be a number >= min');
    const initial = opts.initial ?? min;
    if (!(initial >= min && initial <= max)) {
      throw new InvalidOptionError('initial', 'must be between min and max');
    }
    const increaseBy = opts.increaseBy ?? 1;
    if (!(increaseBy > 0)) throw new InvalidOptionError('increaseBy', 'must be a number > 0');
    const decreaseFactor = opts.decreaseFactor ?? 0.5;
    if (!(decreaseFactor > 0 && decreaseFactor < 1)) {
      throw new InvalidOptionError('decreaseFactor', 'must be a number in (0, 1)');
    }
    if (opts.latencyTargetMs !== undefined && !(opts.latencyTargetMs > 0)) {
      throw new InvalidOptionError('latencyTargetMs', 'must be a number > 0');
    }
    const cooldownMs = opts.cooldownMs ?? 0;
    if (!(cooldownMs >= 0)) throw new InvalidOptionError('cooldownMs', 'must be a number >= 0');
    this.#min = min;
    this.#max = max;
    this.#limit = initial;
    this.#increaseBy = increaseBy;
    this.#slowStart = opts.slowStart ?? false;
    this.#decreaseFactor = decreaseFactor;
    this.#latencyTargetMs = opts.latencyTargetMs;
    this.#cooldownMs = cooldownMs;
    this.#now = opts.now ?? (() => performance.now());
  }

  /** Calls allowed in flight at once now. */
  get limit(): number {
    return this.#limit;
  }

  /** True until the first congestion signal when the limiter was built with `slowStart`. */
  get inSlowStart(): boolean {
    return this.#slowStart;
  }

  /** Slots held now (may exceed `limit` for a while right after a decrease). */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Callers waiting for a slot. */
  get waiting(): number {
    return this.#waiters.length - this.#waitHead;
  }

  /** Resolves when a slot is free; waiters are served in FIFO order. Pair with {@link release}. */
  acquire(): Promise<void> {
    if (this.#inFlight < this.#limit && this.waiting === 0) {
      this.#inFlight++;
      return RESOLVED;
    }
    return new Promise<void>((resolve) => this.#waiters.push(() => resolve()));
  }

  /**
   * {@link acquire} for {@link run}: resolves with the window the call joins, taken when the slot
   * is granted (a decrease between the grant and the caller's turn must not move it).
   */
  #acquireGrant(): Promise<Grant> {
    if (this.#inFlight < this.#limit && this.waiting === 0) {
      this.#inFlight++;
      return Promise.resolve(this.#grant());
    }
    return new Promise<Grant>((resolve) => this.#waiters.push(resolve));
  }

  /** Recovery: calls from before the last decrease still in flight: a call granted now joins their window. */
  #grant(): Grant {
    return { epoch: this.#epoch, joinedOld: this.#staleReleases > 0 };
  }

  /**
   * Releases a slot and reports how its call ended: `'ok'` (with its latency), `'overload'` (the
   * sink timed out, was overloaded or unavailable: multiplicative decrease) or `'error'` (any other
   * failure: no change). Throws `STREAM_SLOT_NOT_HELD` when no slot is held.
   */
  release(outcome: ReleaseOutcome, latencyMs?: number): void {
    this.#release(outcome, latencyMs, undefined);
  }

  /**
   * `start`: known to {@link run}, the decrease count when the call started and whether it joined
   * the old window then (Recovery); plain `release` callers get the approximation by count (see
   * the class comment).
   */
  #release(
    outcome: ReleaseOutcome,
    latencyMs: number | undefined,
    start: Grant | undefined,
  ): void {
    if (this.#inFlight === 0) throw new AdaptiveConcurrencyError();
    // Limit-bound: every slot was taken or a caller waits (only then does a success say the limit could be higher).
    const limited = this.#inFlight >= this.#limit || this.waiting > 0;
    this.#inFlight--;
    // #staleReleases counts the calls in flight at the last decrease; a call that joined their
    // window later is ignored too but not counted, so joining never stretches the recovery.
    const fromBefore = start === undefined ? this.#staleReleases > 0 : start.epoch !== this.#epoch;
    if (fromBefore && this.#staleReleases > 0) this.#staleReleases--;
    // A whole new window of joined calls released: the recovery ends even if an old call hangs.
    if (!fromBefore && start?.joinedOld && ++this.#joinedReleases >= this.#limit) this.#staleReleases = 0;
    if (fromBefore || start?.joinedOld) {
      // This call started before the last decrease: its outcome describes the old window.
    } else if (
      outcome === 'overload' ||
      (outcome === 'ok' &&
        this.#latencyTargetMs !== undefined &&
        latencyMs !== undefined &&
        latencyMs > this.#latencyTargetMs)
    ) {
      this.#decrease();
    } else if (outcome === 'ok' && this.#slowStart) {
      if (limited) this.#setLimit(Math.min(this.#max, this.#limit + 1));
    } else if (outcome === 'ok' && ++this.#successes >= this.#limit) {
      this.#successes = 0;
      this.#setLimit(Math.min(this.#max, this.#limit + this.#increaseBy));
    }
    this.#wake();
  }

  /**
   * Runs `fn` under a slot. Errors for which `isOverload` is true release as `'overload'`, others as
   * `'error'`; either way the error is rethrown (retrying is the caller's choice).
   */
  async run<T>(fn: () => Promise<T>, isOverload: (err: unknown) => boolean): Promise<T> {
    const start = await this.#acquireGrant();
    const started = this.#now();
    let value: T;
    try {
      value = await fn();
    } catch (err) {
      let overload = false;
      try {
        overload = isOverload(err);
      } catch {
        // A throwing classifier must not leak the slot: count the failure as a plain error.
      }
      this.#release(overload ? 'overload' : 'error', undefined, start);
      throw err;
    }
    this.#release('ok', this.#now() - started, start);
    return value;
  }

  #decrease(): void {
    const now = this.#now();
    if (now - this.#lastDecreaseAt < this.#cooldownMs) return;
    this.#lastDecreaseAt = now;
    this.#slowStart = false;
    this.#epoch++;
    this.#staleReleases = this.#inFlight;
    this.#joinedReleases = 0;
    this.#successes = 0;
    this.#setLimit(Math.max(this.#min, Math.floor(this.#limit * this.#decreaseFactor)));
  }

  #setLimit(limit: number): void {
    if (limit === this.#limit) return;
    this.#limit = limit;
    this.onChange?.(limit);
  }

  #wake(): void {
    const waiters = this.#waiters;
    while (this.#inFlight < this.#limit && this.#waitHead < waiters.length) {
      const resolve = waiters[this.#waitHead] as (grant: Grant) => void;
      waiters[this.#waitHead++] = noop; // drop the reference for the collector
      this.#inFlight++;
      resolve(this.#grant());
    }
    if (this.#waitHead === waiters.length) {
      waiters.length = 0;
      this.#waitHead = 0;
    } else if (this.#waitHead >= 1024 && this.#waitHead * 2 >= waiters.length) {
      waiters.splice(0, this.#waitHead);
      this.#waitHead = 0;
    }
  }
}

function noop(): void {}
