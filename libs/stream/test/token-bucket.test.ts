import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { InvalidOptionError } from '../src/backoff.ts';
import { TokenBucket } from '../src/token-bucket.ts';

/** A clock that only moves when the test says so. */
function manualClock(start = 1_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

describe('TokenBucket', () => {
  it('starts full and admits a burst at once', () => {
    // Prepare
    const clock = manualClock();
    const bucket = new TokenBucket({ ratePerSec: 10, burst: 5, now: clock.now });

    // Act
    const waits = [1, 1, 1, 1, 1].map(() => bucket.tryTake(1));

    // Assess
    expect(waits).toEqual([0, 0, 0, 0, 0]);
    expect(bucket.available).toBe(0);
  });

  it('answers the exact wait for the missing tokens and takes nothing when refusing', () => {
    // Prepare: 10 tokens/s = one per 100 ms
    const clock = manualClock();
    const bucket = new TokenBucket({ ratePerSec: 10, burst: 5, now: clock.now });
    bucket.tryTake(5);
    clock.advance(100); // one token back

    // Act
    const wait = bucket.tryTake(3);

    // Assess
    expect(wait).toBe(200);
    expect(bucket.available).toBeCloseTo(1, 9);
  });

  it('admits after the caller waited the time it was told', () => {
    // Prepare
    const clock = manualClock();
    const bucket = new TokenBucket({ ratePerSec: 1_000, burst: 100, now: clock.now });
    bucket.tryTake(100);
    const wait = bucket.tryTake(37);

    // Act
    clock.advance(wait);
    const second = bucket.tryTake(37);

    // Assess
    expect(wait).toBe(37);
    expect(second).toBe(0);
  });

  it('never refills beyond the burst', () => {
    // Prepare
    const clock = manualClock();
    const bucket = new TokenBucket({ ratePerSec: 10, burst: 5, now: clock.now });

    // Act
    clock.advance(60_000);

    // Assess
    expect(bucket.available).toBe(5);
    expect(bucket.tryTake(6)).toBe(0); // larger than the burst, taken from a full bucket as debt
  });

  it('takes a request larger than the burst from a full bucket and makes the next ones wait for the debt', () => {
    // Prepare
    const clock = manualClock();
    const bucket = new TokenBucket({ ratePerSec: 10, burst: 5, now: clock.now });

    // Act
    const big = bucket.tryTake(20);
    const next = bucket.tryTake(1);

    // Assess: 5 - 20 = -15 tokens, 16 tokens needed for the next one at 10/s
    expect(big).toBe(0);
    expect(next).toBe(1_600);
  });

  it('makes a request larger than the burst wait until the bucket is full', () => {
    // Prepare
    const clock = manualClock();
    const bucket = new TokenBucket({ ratePerSec: 10, burst: 5, now: clock.now });
    bucket.tryTake(2);

    // Act
    const wait = bucket.tryTake(50);
    clock.advance(wait);
    const after = bucket.tryTake(50);

    // Assess
    expect(wait).toBe(200);
    expect(after).toBe(0);
  });

  it('defaults the burst to one second of rate', () => {
    // Prepare
    const clock = manualClock();
    const bucket = new TokenBucket({ ratePerSec: 50, now: clock.now });

    // Act
    const first = bucket.tryTake(50);
    const second = bucket.tryTake(1);

    // Assess
    expect(first).toBe(0);
    expect(second).toBe(20);
  });

  it.each([0, Infinity])('is unlimited at a rate of %p', (ratePerSec) => {
    // Prepare
    const bucket = new TokenBucket({ ratePerSec, now: () => 0 });

    // Act
    const waits = [1e9, 1e9, 1e9].map((n) => bucket.tryTake(n));

    // Assess
    expect(waits).toEqual([0, 0, 0]);
  });

  it('treats a take of zero or less as a no-op', () => {
    // Prepare
    const clock = manualClock();
    const bucket = new TokenBucket({ ratePerSec: 10, burst: 1, now: clock.now });
    bucket.tryTake(1);

    // Act
    const waits = [0, -3].map((n) => bucket.tryTake(n));

    // Assess
    expect(waits).toEqual([0, 0]);
    expect(bucket.available).toBe(0);
  });

  it.each([
    { opts: { ratePerSec: -1 }, option: 'ratePerSec' },
    { opts: { ratePerSec: Number.NaN }, option: 'ratePerSec' },
    { opts: { ratePerSec: 10, burst: 0 }, option: 'burst' },
  ])('rejects option $option in $opts with STREAM_INVALID_OPTION', ({ opts, option }) => {
    // Act
    let thrown: unknown;
    try {
      new TokenBucket(opts);
    } catch (err) {
      thrown = err;
    }

    // Assess
    expect(thrown).toBeInstanceOf(InvalidOptionError);
    expect(thrown).toMatchObject({ code: 'STREAM_INVALID_OPTION', option });
  });

  // Each step the taker sleeps a multiple (0..2) of the wait it was last told, sometimes idles on
  // top of that, then takes greedily until refused: both the cap and the refill rate are exercised.
  const stepsArb = (maxTake: number) =>
    fc.array(
      fc.record({
        waitFactor: fc.double({ min: 0, max: 2, noNaN: true }),
        idleMs: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 300, noNaN: true })),
        take: fc.double({ min: 0.01, max: maxTake, noNaN: true }),
      }),
      { minLength: 1, maxLength: 300 },
    );

  function admittedOverTime(
    ratePerSec: number,
    burst: number,
    steps: { waitFactor: number; idleMs: number; take: number }[],
    check: (admitted: number, nowMs: number) => void,
  ): void {
    const clock = manualClock(0);
    const bucket = new TokenBucket({ ratePerSec, burst, now: clock.now });
    let admitted = 0;
    let lastWait = 0;
    for (const { waitFactor, idleMs, take } of steps) {
      clock.advance(lastWait * waitFactor + idleMs);
      const n = take * burst;
      for (let i = 0; i < 1_000; i++) {
        lastWait = bucket.tryTake(n);
        if (lastWait > 0) break;
        admitted += n;
      }
      check(admitted, clock.now());
    }
  }

  it('never admits more than rate * t + burst over a simulated clock (property)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.5, max: 5_000, noNaN: true }),
        fc.double({ min: 1, max: 500, noNaN: true }),
        stepsArb(1),
        (ratePerSec, burst, steps) => {
          admittedOverTime(ratePerSec, burst, steps, (admitted, nowMs) => {
            const bound = (ratePerSec * nowMs) / 1_000 + burst;
            expect(admitted).toBeLessThanOrEqual(bound * (1 + 1e-9) + 1e-6);
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('with takes above the burst, never admits more than rate * t + the largest take (property)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.5, max: 5_000, noNaN: true }),
        fc.double({ min: 1, max: 500, noNaN: true }),
        stepsArb(4),
        (ratePerSec, burst, steps) => {
          const largest = Math.max(burst, ...steps.map((s) => s.take * burst));
          admittedOverTime(ratePerSec, burst, steps, (admitted, nowMs) => {
            const bound = (ratePerSec * nowMs) / 1_000 + largest;
            expect(admitted).toBeLessThanOrEqual(bound * (1 + 1e-9) + 1e-6);
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('admits a caller who waits what it is told at the configured rate (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 1, max: 1_000 }),
        fc.array(fc.integer({ min: 1, max: 2_000 }), { minLength: 1, maxLength: 100 }),
        (ratePerSec, burst, takes) => {
          // Prepare
          const clock = manualClock(0);
          const bucket = new TokenBucket({ ratePerSec, burst, now: clock.now });

          // Act: every take is admitted right after the wait the bucket asked for
          for (const n of takes) {
            const wait = bucket.tryTake(n);
            if (wait > 0) {
              clock.advance(wait);
              expect(bucket.tryTake(n)).toBe(0);
            }
          }

          // Assess: the total took no longer than the tokens' worth beyond the first burst, + 1 ms per take for rounding
          const total = takes.reduce((a, b) => a + b, 0);
          const budgetMs = (Math.max(0, total - burst) / ratePerSec) * 1_000 + takes.length;
          expect(clock.now()).toBeLessThanOrEqual(budgetMs + 1e-6);
        },
      ),
      { numRuns: 200 },
    );
  });
});
