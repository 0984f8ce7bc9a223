import { InvalidOptionError } from './errors.ts';

// Declared in errors.ts with every other error of the package; re-exported for the building blocks' imports.
export { InvalidOptionError };

/** Options of {@link backoffDelay}. */
export interface BackoffOptions {
  /** Ceiling of the first retry's delay, in ms. */
  baseMs: number;
  /** The ceiling never grows past this, in ms. */
  maxMs: number;
  /** A uniform random number in [0, 1); `Math.random` by default (tests pass their own). */
  random?: () => number;
}

/**
 * The delay before retry number `attempt` (1 = the first retry, after the first failed call):
 * exponential backoff with full jitter, a uniform draw in [0, min(maxMs, baseMs * 2^(attempt-1))).
 *
 * Full jitter spreads the retries of many callers that failed together (an overloaded sink) over
 * the whole window instead of sending them back in one wave.
 *
 * @example
 * await sleep(backoffDelay(attempt, { baseMs: 50, maxMs: 5_000 }));
 */
export function backoffDelay(attempt: number, opts: BackoffOptions): number {
  const { baseMs, maxMs } = opts;
  if (!(baseMs >= 0) || !Number.isFinite(baseMs)) {
    throw new InvalidOptionError('baseMs', 'must be a finite number >= 0');
  }
  if (!(maxMs >= baseMs)) throw new InvalidOptionError('maxMs', 'must be a number >= baseMs');
  const exponent = Math.max(0, Math.floor(attempt) - 1);
  // 2 ** exponent reaches Infinity for huge attempts, which min() turns back into maxMs.
  const ceiling = Math.min(maxMs, baseMs * 2 ** exponent);
  if (!(ceiling > 0)) return 0;
  const draw = (opts.random ?? Math.random)();
  // Clamp a misbehaving random source so the delay always stays inside [0, ceiling).
  return Math.min(ceiling, Math.max(0, draw * ceiling));
}
