import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { backoffDelay, InvalidOptionError } from '../src/backoff.ts';

describe('backoffDelay', () => {
  it('doubles the jitter ceiling with each attempt from baseMs', () => {
    // Prepare: a draw in the middle of the window
    const opts = { baseMs: 100, maxMs: 100_000, random: () => 0.5 };

    // Act
    const delays = [1, 2, 3, 4, 5].map((attempt) => backoffDelay(attempt, opts));

    // Assess
    expect(delays).toEqual([50, 100, 200, 400, 800]);
  });

  it('caps the ceiling at maxMs, even for absurd attempt numbers', () => {
    // Prepare
    const opts = { baseMs: 100, maxMs: 1_000, random: () => 0.5 };

    // Act
    const delays = [5, 50, 5_000].map((attempt) => backoffDelay(attempt, opts));

    // Assess
    expect(delays).toEqual([500, 500, 500]);
  });

  it('spreads delays over the whole window from 0 (full jitter)', () => {
    // Prepare
    const low = { baseMs: 100, maxMs: 1_000, random: () => 0 };
    const high = { baseMs: 100, maxMs: 1_000, random: () => 0.999 };

    // Act
    const delays = [backoffDelay(3, low), backoffDelay(3, high)];

    // Assess
    expect(delays).toEqual([0, 399.6]);
  });

  it('treats attempts below 1 as the first retry', () => {
    // Act
    const delays = [0, -4].map((attempt) =>
      backoffDelay(attempt, { baseMs: 80, maxMs: 1_000, random: () => 0.5 }),
    );

    // Assess
    expect(delays).toEqual([40, 40]);
  });

  it('stays inside [0, min(maxMs, baseMs * 2^(attempt-1))] with the default random (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 80 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        (attempt, baseMs, extra) => {
          // Prepare
          const maxMs = baseMs + extra;

          // Act
          const delay = backoffDelay(attempt, { baseMs, maxMs });

          // Assess
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThanOrEqual(Math.min(maxMs, baseMs * 2 ** (attempt - 1)));
        },
      ),
    );
  });

  it.each([
    { opts: { baseMs: -1, maxMs: 10 }, option: 'baseMs' },
    { opts: { baseMs: Infinity, maxMs: Infinity }, option: 'baseMs' },
    { opts: { baseMs: 100, maxMs: 50 }, option: 'maxMs' },
  ])('rejects option $option in $opts with STREAM_INVALID_OPTION', ({ opts, option }) => {
    // Act
    let thrown: unknown;
    try {
      backoffDelay(1, opts);
    } catch (err) {
      thrown = err;
    }

    // Assess
    expect(thrown).toBeInstanceOf(InvalidOptionError);
    expect(thrown).toMatchObject({ code: 'STREAM_INVALID_OPTION', retryable: false, option });
  });
});
