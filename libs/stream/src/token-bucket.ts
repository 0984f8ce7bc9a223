import { InvalidOptionError } from './errors.ts';

const EPSILON = 1e-9;

/** Options of {@link TokenBucket}. */
export interface TokenBucketOptions {
  /** Tokens added per second. `Infinity` or `0` means unlimited: every take succeeds. */
  ratePerSec: number;
  /** Capacity of the bucket (the largest burst); one second's worth (`ratePerSec`, at least 1) by default. */
  burst?: number;
  /** Clock in ms; `performance.now` by default. Must not go backwards (a step back adds nothing). */
  now?: () => number;
}

/**
 * A token bucket for records/s or bytes/s throttles. It never blocks and never buffers: it answers
 * "take now" or "wait this long", and the caller (the throttled consumer) pauses for that time.
 *
 * The bucket starts full. A take larger than the burst (one huge fetch) is admitted when the bucket
 * is full and leaves it in debt, so the following takes wait until the debt is paid back: the
 * long-run rate holds and a large request is never refused for ever.
 *
 * @example
 * const bytes = new TokenBucket({ ratePerSec: 10_000_000 });
 * const waitMs = bytes.tryTake(batchBytes);
 * if (waitMs > 0) pauseFor(waitMs);
 */
export class TokenBucket {
  readonly #rate: number;
  readonly #burst: number;
  readonly #now: () => number;
  readonly #unlimited: boolean;
  #tokens: number;
  #last: number;

  constructor(opts: TokenBucketOptions) {
    const { ratePerSec } = opts;
    if (!(ratePerSec >= 0)) throw new InvalidOptionError('ratePerSec', 'must be a number >= 0');
    this.#unlimited = ratePerSec === 0 || ratePerSec === Infinity;
    this.#rate = ratePerSec / 1000; // tokens per ms
    const burst = opts.burst ?? Math.max(1, ratePerSec);
    if (!(burst > 0)) throw new InvalidOptionError('burst', 'must be a number > 0');
    this.#burst = burst;
    this.#now = opts.now ?? (() => performance.now());
    this.#tokens = burst;
    this.#last = this.#now();
  }

  /**
   * Takes `n` tokens if they are available now and returns 0; otherwise takes nothing and returns
   * the ms to wait (at least 1) until `n` would be available. `n` may exceed the burst: it is taken
   * when the bucket is full, leaving a debt. `n <= 0` is a no-op that returns 0.
   */
  tryTake(n: number): number {
    if (this.#unlimited || !(n > 0)) return 0;
    this.#refill();
    // The epsilon absorbs float error in the refill, so a caller that waited the returned time is
    // not told to wait 1 ms more for a 1e-12 sliver.
    if (this.#tokens + EPSILON >= n) {
      this.#tokens -= n;
      return 0;
    }
    if (n > this.#burst) {
      if (this.#tokens + EPSILON >= this.#burst) {
        this.#tokens -= n;
        return 0;
      }
      return this.#waitFor(this.#burst);
    }
    return this.#waitFor(n);
  }

  /** Tokens available now (negative while in debt); for metrics and tests. */
  get available(): number {
    if (this.#unlimited) return Infinity;
    this.#refill();
    return this.#tokens;
  }

  #refill(): void {
    const now = this.#now();
    const elapsed = now - this.#last;
    if (elapsed > 0) {
      this.#tokens = Math.min(this.#burst, this.#tokens + elapsed * this.#rate);
      this.#last = now;
    }
  }

  #waitFor(level: number): number {
    // ceil: a caller that sleeps the returned time finds the tokens there, not a sliver short.
    return Math.max(1, Math.ceil((level - this.#tokens) / this.#rate));
  }
}
