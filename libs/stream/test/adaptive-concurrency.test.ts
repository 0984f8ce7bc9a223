import { describe, expect, it } from '@jest/globals';
import {
  AdaptiveConcurrency,
  AdaptiveConcurrencyError,
  type AdaptiveConcurrencyOptions,
} from '../src/adaptive-concurrency.ts';
import { backoffDelay, InvalidOptionError } from '../src/backoff.ts';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

class OverloadedError extends Error {
  readonly code = 'STREAM_SINK_OVERLOADED';
}
const isOverloaded = (err: unknown): boolean => err instanceof OverloadedError;

/** A limiter whose limit changes are recorded, with a clock the test moves. */
function limiterWith(opts: Partial<AdaptiveConcurrencyOptions> & { min: number; max: number }) {
  let t = 0;
  const limiter = new AdaptiveConcurrency({ now: () => t, ...opts });
  const changes: number[] = [];
  limiter.onChange = (limit) => changes.push(limit);
  return { limiter, changes, advance: (ms: number) => void (t += ms) };
}

/** Acquires `n` slots; all must be free at once. */
async function acquireAll(limiter: AdaptiveConcurrency, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await limiter.acquire();
}

describe('AdaptiveConcurrency', () => {
  it('starts at min by default and gives out that many slots at once', async () => {
    // Prepare
    const { limiter } = limiterWith({ min: 3, max: 10 });

    // Act
    await acquireAll(limiter, 3);
    let fourthGranted = false;
    void limiter.acquire().then(() => (fourthGranted = true));
    await sleep(0);

    // Assess
    expect(limiter.limit).toBe(3);
    expect(limiter.inFlight).toBe(3);
    expect(fourthGranted).toBe(false);
    expect(limiter.waiting).toBe(1);
  });

  it('serves waiters in FIFO order as slots are released', async () => {
    // Prepare
    const { limiter } = limiterWith({ min: 1, max: 1 });
    await limiter.acquire();
    const order: number[] = [];
    const waiters = [1, 2, 3].map((i) => limiter.acquire().then(() => order.push(i)));

    // Act
    for (let i = 0; i < 3; i++) {
      limiter.release('error');
      await sleep(0);
    }
    await Promise.all(waiters);

    // Assess
    expect(order).toEqual([1, 2, 3]);
    expect(limiter.inFlight).toBe(1);
  });

  it('adds increaseBy after one window of successes (limit releases)', async () => {
    // Prepare
    const { limiter, changes } = limiterWith({ min: 2, max: 10, increaseBy: 2 });

    // Act: a window of 2 successes, then a window of 4
    for (let i = 0; i < 6; i++) {
      await limiter.acquire();
      limiter.release('ok', 1);
    }

    // Assess
    expect(changes).toEqual([4, 6]);
    expect(limiter.limit).toBe(6);
  });

  it('never increases past max', async () => {
    // Prepare
    const { limiter, changes } = limiterWith({ min: 1, max: 3 });

    // Act
    for (let i = 0; i < 50; i++) {
      await limiter.acquire();
      limiter.release('ok', 1);
    }

    // Assess
    expect(changes).toEqual([2, 3]);
  });

  it('halves the limit on an overload, floored, and not below min', async () => {
    // Prepare
    const { limiter, changes } = limiterWith({ min: 2, max: 16, initial: 9 });

    // Act: three separate congestion events, each alone in flight
    for (let i = 0; i < 3; i++) {
      await limiter.acquire();
      limiter.release('overload');
    }

    // Assess
    expect(changes).toEqual([4, 2]);
    expect(limiter.limit).toBe(2);
  });

  it('counts overloads of calls in flight at a decrease as the same congestion event', async () => {
    // Prepare: 8 calls in flight fail together, as they do when a sink is overloaded
    const { limiter, changes } = limiterWith({ min: 1, max: 16, initial: 8 });
    await acquireAll(limiter, 8);

    // Act
    for (let i = 0; i < 8; i++) limiter.release('overload');
    await limiter.acquire();
    limiter.release('overload'); // a call started after the decrease: a new event

    // Assess
    expect(changes).toEqual([4, 2]);
  });

  it('waits cooldownMs between two decreases', async () => {
    // Prepare
    const { limiter, changes, advance } = limiterWith({
      min: 1,
      max: 64,
      initial: 64,
      cooldownMs: 100,
    });

    // Act
    await limiter.acquire();
    limiter.release('overload');
    advance(99);
    await limiter.acquire();
    limiter.release('overload'); // within the cooldown: ignored
    advance(1);
    await limiter.acquire();
    limiter.release('overload');

    // Assess
    expect(changes).toEqual([32, 16]);
  });

  it('counts a success slower than latencyTargetMs as congestion', async () => {
    // Prepare
    const { limiter, changes } = limiterWith({ min: 1, max: 64, initial: 10, latencyTargetMs: 50 });

    // Act
    await limiter.acquire();
    limiter.release('ok', 50); // at the target: fine
    await limiter.acquire();
    limiter.release('ok', 51);

    // Assess
    expect(changes).toEqual([5]);
  });

  it('leaves the limit alone on a plain error', async () => {
    // Prepare
    const { limiter, changes } = limiterWith({ min: 1, max: 64, initial: 1 });

    // Act
    for (let i = 0; i < 10; i++) {
      await limiter.acquire();
      limiter.release('error');
    }

    // Assess
    expect(changes).toEqual([]);
  });

  it('does not wake waiters while the slots held exceed a decreased limit', async () => {
    // Prepare
    const { limiter } = limiterWith({ min: 1, max: 8, initial: 4 });
    await acquireAll(limiter, 4);
    let granted = false;
    void limiter.acquire().then(() => (granted = true));

    // Act: the decrease to 2 leaves 3 held
    limiter.release('overload');
    await sleep(0);
    const grantedAtThree = granted;
    limiter.release('ok', 1);
    limiter.release('ok', 1);
    await sleep(0);

    // Assess
    expect(grantedAtThree).toBe(false);
    expect(granted).toBe(true);
    expect(limiter.inFlight).toBe(2);
  });

  it('run releases the slot and rethrows, classifying the error with isOverload', async () => {
    // Prepare
    const { limiter, changes } = limiterWith({ min: 1, max: 8, initial: 8 });
    const failure = new OverloadedError('overloaded');

    // Act
    const value = await limiter.run(async () => 42, isOverloaded);
    const thrown = await limiter
      .run(() => Promise.reject(failure), isOverloaded)
      .catch((err: unknown) => err);
    const plain = await limiter
      .run(
        () => Promise.reject(new Error('bad row')),
        () => {
          throw new Error('classifier bug');
        },
      )
      .catch((err: unknown) => err);

    // Assess
    expect(value).toBe(42);
    expect(thrown).toBe(failure);
    expect(plain).toMatchObject({ message: 'bad row' });
    expect(changes).toEqual([4]);
    expect(limiter.inFlight).toBe(0);
  });

  it('throws STREAM_SLOT_NOT_HELD on a release without an acquire', () => {
    // Prepare
    const { limiter } = limiterWith({ min: 1, max: 2 });

    // Act
    let thrown: unknown;
    try {
      limiter.release('ok', 1);
    } catch (err) {
      thrown = err;
    }

    // Assess
    expect(thrown).toBeInstanceOf(AdaptiveConcurrencyError);
    expect(thrown).toMatchObject({ code: 'STREAM_SLOT_NOT_HELD', retryable: false });
  });

  it.each([
    { opts: { min: 0, max: 4 }, option: 'min' },
    { opts: { min: 1.5, max: 4 }, option: 'min' },
    { opts: { min: 4, max: 2 }, option: 'max' },
    { opts: { min: 1, max: 4, initial: 5 }, option: 'initial' },
    { opts: { min: 1, max: 4, increaseBy: 0 }, option: 'increaseBy' },
    { opts: { min: 1, max: 4, decreaseFactor: 1 }, option: 'decreaseFactor' },
    { opts: { min: 1, max: 4, latencyTargetMs: 0 }, option: 'latencyTargetMs' },
    { opts: { min: 1, max: 4, cooldownMs: -1 }, option: 'cooldownMs' },
  ])('rejects option $option in $opts with STREAM_INVALID_OPTION', ({ opts, option }) => {
    // Act
    let thrown: unknown;
    try {
      new AdaptiveConcurrency(opts);
    } catch (err) {
      thrown = err;
    }

    // Assess
    expect(thrown).toBeInstanceOf(InvalidOptionError);
    expect(thrown).toMatchObject({ code: 'STREAM_INVALID_OPTION', option });
  });

  it('settles near the concurrency K a sink takes and finishes every record, none lost', async () => {
    // Prepare: a sink that answers "overloaded" to any call that finds more than K calls in it
    const K = 8;
    const records = 1_500;
    const limiter = new AdaptiveConcurrency({ min: 1, max: 64 });
    const limits: number[] = [];
    limiter.onChange = (limit) => limits.push(limit);
    let active = 0;
    let overloads = 0;
    const writes = new Map<number, number>();
    const sink = async (id: number): Promise<void> => {
      active++;
      const overloaded = active > K;
      await sleep(1 + (id % 3));
      active--;
      if (overloaded) {
        overloads++;
        throw new OverloadedError('overloaded');
      }
      writes.set(id, (writes.get(id) ?? 0) + 1);
    };
    const writeWithRetry = async (id: number): Promise<void> => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await limiter.run(() => sink(id), isOverloaded);
        } catch (err) {
          if (!isOverloaded(err)) throw err;
          await sleep(backoffDelay(attempt, { baseMs: 2, maxMs: 50 }));
        }
      }
    };

    // Act
    await Promise.all(Array.from({ length: records }, (_, id) => writeWithRetry(id)));

    // Assess: every record written exactly once
    expect(writes.size).toBe(records);
    expect([...writes.values()].every((n) => n === 1)).toBe(true);
    // the limit probed past K, was pushed back, and after reaching K stayed in [K/2, K + 3]
    expect(overloads).toBeGreaterThan(0);
    const reachedK = limits.indexOf(K);
    expect(reachedK).toBeGreaterThanOrEqual(0);
    const settled = limits.slice(reachedK);
    expect(Math.min(...settled)).toBeGreaterThanOrEqual(K / 2);
    expect(Math.max(...settled)).toBeLessThanOrEqual(K + 3);
    expect(Math.min(...limits)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...limits)).toBeLessThanOrEqual(64);
    expect(limiter.inFlight).toBe(0);
  });
});
