import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  AdaptiveConcurrency,
  type AdaptiveConcurrencyOptions,
  type ReleaseOutcome,
} from '../src/adaptive-concurrency.ts';

/** A limiter whose limit changes are recorded, with a clock that stands still. */
function limiterWith(opts: Partial<AdaptiveConcurrencyOptions> & { min: number; max: number }) {
  const limiter = new AdaptiveConcurrency({ now: () => 0, ...opts });
  const changes: number[] = [];
  limiter.onChange = (limit) => changes.push(limit);
  return { limiter, changes };
}

/**
 * A saturating caller: `backlog` callers queue at once (as a catch-up's writes do). `round` is one
 * round trip: every call in flight now ends with `outcome`, and the freed (and new) slots go to
 * the waiters.
 */
function saturated(limiter: AdaptiveConcurrency, backlog = 5_000) {
  for (let i = 0; i < backlog; i++) void limiter.acquire();
  return {
    async round(outcome: ReleaseOutcome = 'ok'): Promise<void> {
      const held = limiter.inFlight;
      for (let i = 0; i < held; i++) limiter.release(outcome, 1);
      await Promise.resolve();
    },
  };
}

describe('AdaptiveConcurrency with slow start', () => {
  it('doubles the limit per round trip while callers wait', async () => {
    // Prepare
    const { limiter, changes } = limiterWith({ min: 1, max: 64, slowStart: true });
    const caller = saturated(limiter);

    // Act: three round trips at 1, 2 and 4 calls in flight
    for (let w = 0; w < 3; w++) await caller.round();

    // Assess
    expect(changes).toEqual([2, 3, 4, 5, 6, 7, 8]);
    expect(limiter.limit).toBe(8);
    expect(limiter.inSlowStart).toBe(true);
  });

  it.each([
    { slowStart: true, windows: 6 },
    { slowStart: false, windows: 63 },
  ])(
    'goes from 1 to 64 in $windows round trips when slowStart is $slowStart',
    async ({ slowStart, windows }) => {
      // Prepare
      const { limiter } = limiterWith({ min: 1, max: 64, slowStart });
      const caller = saturated(limiter);

      // Act
      let n = 0;
      while (limiter.limit < 64) {
        await caller.round();
        n++;
      }

      // Assess
      expect(n).toBe(windows);
    },
  );

  it('stops at max and stays in slow start until congestion', async () => {
    // Prepare
    const { limiter, changes } = limiterWith({ min: 1, max: 5, initial: 4, slowStart: true });
    const caller = saturated(limiter);

    // Act
    for (let w = 0; w < 3; w++) await caller.round();

    // Assess
    expect(changes).toEqual([5]);
    expect(limiter.inSlowStart).toBe(true);
  });

  it('ends at the first congestion signal: halves, then grows by increaseBy per window', async () => {
    // Prepare
    const { limiter, changes } = limiterWith({ min: 1, max: 64, initial: 16, slowStart: true });
    const caller = saturated(limiter);

    // Act: one overloaded round trip (one congestion event), then two good ones
    await caller.round('overload');
    const afterOverload = limiter.limit;
    await caller.round();
    await caller.round();

    // Assess
    expect(afterOverload).toBe(8);
    expect(limiter.inSlowStart).toBe(false);
    expect(changes).toEqual([8, 9, 10]);
  });

  it('ends at the first latency above latencyTargetMs', async () => {
    // Prepare
    const { limiter, changes } = limiterWith({
      min: 1,
      max: 64,
      initial: 8,
      slowStart: true,
      latencyTargetMs: 20,
    });

    // Act
    await limiter.acquire();
    limiter.release('ok', 21);

    // Assess
    expect(changes).toEqual([4]);
    expect(limiter.inSlowStart).toBe(false);
  });

  it('does not raise the limit for successes of a trickle that never fills it', async () => {
    // Prepare
    const { limiter, changes } = limiterWith({ min: 1, max: 64, initial: 4, slowStart: true });

    // Act: 100 calls one at a time, under a limit of 4
    for (let i = 0; i < 100; i++) {
      await limiter.acquire();
      limiter.release('ok', 1);
    }

    // Assess
    expect(changes).toEqual([]);
    expect(limiter.inSlowStart).toBe(true);
  });

  it('lets two waiters in on one success: the slot it frees and the one it adds', async () => {
    // Prepare: 2 slots taken, a third caller waits
    const { limiter, changes } = limiterWith({ min: 1, max: 64, initial: 2, slowStart: true });
    await limiter.acquire();
    await limiter.acquire();
    let granted = 0;
    void limiter.acquire().then(() => granted++);
    void limiter.acquire().then(() => granted++);

    // Act: one success grows the limit to 3 and frees a slot: both waiters get one
    limiter.release('ok', 1);
    await Promise.resolve();

    // Assess
    expect(changes).toEqual([3]);
    expect(granted).toBe(2);
    expect(limiter.inFlight).toBe(3);
  });

  it('keeps the limit in [min, max], grows at most 1 per success in slow start and leaves it only on a decrease (property)', async () => {
    const op = fc.oneof(
      fc.constant<'acquire'>('acquire'),
      fc.constantFrom<ReleaseOutcome>('ok', 'ok', 'ok', 'overload', 'error'),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 0, max: 40 }),
        fc.array(op, { maxLength: 300 }),
        async (min, above, startAbove, ops) => {
          const max = min + above;
          const initial = min + Math.min(above, startAbove);
          const { limiter } = limiterWith({ min, max, initial, slowStart: true });
          let held = 0;
          for (const o of ops) {
            const before = { limit: limiter.limit, slow: limiter.inSlowStart };
            if (o === 'acquire') {
              // Only take a free slot: a test cannot await a waiter that nothing will wake.
              if (limiter.inFlight < limiter.limit && limiter.waiting === 0) {
                await limiter.acquire();
                held++;
              }
              continue;
            }
            if (held === 0) continue;
            limiter.release(o, 1);
            held--;
            expect(limiter.limit).toBeGreaterThanOrEqual(min);
            expect(limiter.limit).toBeLessThanOrEqual(max);
            if (before.slow && limiter.limit > before.limit)
              expect(limiter.limit).toBe(before.limit + 1);
            if (before.slow && !limiter.inSlowStart)
              expect(limiter.limit).toBeLessThanOrEqual(before.limit);
            if (!before.slow) expect(limiter.inSlowStart).toBe(false);
            if (o !== 'ok') expect(limiter.limit).toBeLessThanOrEqual(before.limit);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reaches a sink that takes K calls at once quickly and settles near K, every record written once', async () => {
    // Prepare: a sink that answers "overloaded" to a call that finds more than K calls in it
    const K = 24;
    const records = 2_000;
    const limiter = new AdaptiveConcurrency({ min: 1, max: 256, slowStart: true });
    const limits: number[] = [];
    limiter.onChange = (limit) => limits.push(limit);
    class Overloaded extends Error {}
    const isOverloaded = (err: unknown) => err instanceof Overloaded;
    let active = 0;
    const writes = new Map<number, number>();
    const sink = async (id: number): Promise<void> => {
      active++;
      const overloaded = active > K;
      await new Promise<void>((r) => setTimeout(r, 1));
      active--;
      if (overloaded) throw new Overloaded();
      writes.set(id, (writes.get(id) ?? 0) + 1);
    };
    const write = async (id: number): Promise<void> => {
      for (;;) {
        try {
          return await limiter.run(() => sink(id), isOverloaded);
        } catch (err) {
          if (!isOverloaded(err)) throw err;
          await new Promise<void>((r) => setTimeout(r, 2));
        }
      }
    };

    // Act
    await Promise.all(Array.from({ length: records }, (_, id) => write(id)));

    // Assess: every record once; the first overload came within a few windows, past K but below 2K + 2
    expect(writes.size).toBe(records);
    expect([...writes.values()].every((n) => n === 1)).toBe(true);
    const firstDrop = limits.findIndex((l, i) => i > 0 && l < limits[i - 1]!);
    expect(firstDrop).toBeGreaterThan(0);
    const peak = Math.max(...limits.slice(0, firstDrop));
    expect(peak).toBeGreaterThan(K);
    expect(peak).toBeLessThanOrEqual(2 * K + 2);
    // after slow start, additive probing: the limit stays within [K/2 - 1, K + 4]
    const settled = limits.slice(firstDrop + 1);
    expect(Math.min(...settled)).toBeGreaterThanOrEqual(K / 2 - 1);
    expect(Math.max(...settled)).toBeLessThanOrEqual(K + 4);
    expect(limiter.inFlight).toBe(0);
  });
});
