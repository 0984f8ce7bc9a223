import fc from 'fast-check';
import { fifths, median, memoryVerdict, type MemorySample } from '../src/soak-verdict.ts';

/** A service's samples: a live set that grows by `leakMbPerSample`, plus GC sawtooth garbage on top; RSS level 120 MB. */
function samples(n: number, liveMb: number, leakMbPerSample: number, garbage: (i: number) => number, rss: (i: number) => number = () => 120): MemorySample[] {
  return Array.from({ length: n }, (_, i) => ({ heapUsedMb: liveMb + leakMbPerSample * i + garbage(i), rssMb: rss(i), externalMb: 12 }));
}

/** 180 samples (30 min at 10 s) with a level heap and the given RSS. */
const withRss = (rss: (i: number) => number) => samples(180, 20, 0, (i) => (i % 12 === 0 ? 0 : 10), rss);

describe('the soak memory verdict: live heap', () => {
  test('a heap that swings with every collection but always falls back to its live set is flat', () => {
    // Arrange: 180 samples (30 min at 10 s), live 20 MB, up to 30 MB of garbage between collections
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 180, maxLength: 180 }), (garbage) => {
        // Every 12th sample is taken just after a collection.
        const v = memoryVerdict(samples(180, 20, 0, (i) => (i % 12 === 0 ? 0 : garbage[i]!)));
        expect([v.heapFlat, v.flat]).toEqual([true, true]);
        expect(v.heapFloorsMb).toEqual([20, 20, 20, 20, 20]);
      }),
    );
  });

  test('a live set that climbs to the end is not flat, whatever the garbage', () => {
    // Arrange: 20 MB growing by 0.1 MB a sample: 18 MB over the run
    const v = memoryVerdict(samples(180, 20, 0.1, (i) => (i % 12 === 0 ? 0 : 15)));

    // Assess
    expect([v.heapFlat, v.flat]).toEqual([false, false]);
    expect(v.heapGrowthPct).toBeGreaterThan(10);
    expect(v.why).toEqual([expect.stringMatching(/^live heap ends .* % above its earlier floors/)]);
  });

  test('a step while caches fill, then a level live set, is flat', () => {
    const v = memoryVerdict(samples(180, 20, 0, (i) => (i >= 60 ? 8 : 0)));
    expect([v.flat, v.heapFloorsMb]).toEqual([true, [20, 20, 28, 28, 28]]);
  });

  test('fewer than five samples is refused', () => {
    expect(() => memoryVerdict(samples(4, 20, 0, () => 0))).toThrow(/at least 5 samples/);
  });
});

describe('the soak memory verdict: RSS', () => {
  test('an RSS that climbs during warm-up and then holds its level is flat and bounded', () => {
    // Arrange: 80 -> 130 MB over the first fifth, then 130 MB with noise of up to 5 MB either way
    fc.assert(
      fc.property(fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: 180, maxLength: 180 }), (noise) => {
        const v = memoryVerdict(withRss((i) => (i < 36 ? 80 + (50 * i) / 36 : 130 + noise[i]!)));
        expect([v.rssFlat, v.rssUnderBound, v.flat]).toEqual([true, true, true]);
        expect(v.rssGrowthMb).toBeLessThanOrEqual(10);
      }),
    );
  });

  test('the gateway of the first soak (191 -> 231 MB, live heap level) is neither flat nor bounded', () => {
    // Arrange: a slow, steady climb, never more than 9 MB per fifth
    const v = memoryVerdict(withRss((i) => 191 + (40 * i) / 179));

    // Assess
    expect([v.heapFlat, v.rssFlat, v.rssUnderBound, v.flat]).toEqual([true, false, false, false]);
    expect(v.rssGrowthMb).toBeCloseTo(24, 0);
    expect(v.why).toEqual([expect.stringMatching(/^RSS climbed 24\.\d MB after warm-up \(> 15 MB\)$/), 'RSS reached 231 MB (> 150 MB)']);
  });

  test('a climb of any slope that adds up to more than the tolerance after warm-up is not flat', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.15, max: 2, noNaN: true }), (mbPerSample) => {
        // 144 samples after warm-up: the levels of fifths 2 and 5 are 108 samples apart (> 16 MB)
        const v = memoryVerdict(withRss((i) => 60 + mbPerSample * i), { rssBoundMb: 10_000 });
        expect(v.rssFlat).toBe(false);
      }),
    );
  });

  test('one sample over the bound after warm-up fails the bound, one during warm-up does not', () => {
    const late = memoryVerdict(withRss((i) => (i === 100 ? 151 : 120)));
    const early = memoryVerdict(withRss((i) => (i === 10 ? 400 : 120)));
    expect([late.rssUnderBound, late.rssMaxMb, late.rssFlat]).toEqual([false, 151, true]);
    expect([early.rssUnderBound, early.rssMaxMb]).toEqual([true, 120]);
  });

  test('the tolerance and the bound are options', () => {
    const v = memoryVerdict(withRss((i) => (i < 72 ? 200 : 230)), { rssToleranceMb: 40, rssBoundMb: 256 });
    expect([v.rssFlat, v.rssUnderBound, v.rssGrowthMb, v.rssLevelsMb]).toEqual([true, true, 30, [200, 200, 230, 230, 230]]);
  });
});

describe('the verdict helpers', () => {
  test('fifths keep every sample, in order, the remainder in the last', () => {
    fc.assert(
      fc.property(fc.array(fc.integer(), { minLength: 5, maxLength: 400 }), (xs) => {
        const parts = fifths(xs);
        expect(parts.flat()).toEqual(xs);
        expect(parts.slice(0, 4).every((p) => p.length === Math.floor(xs.length / 5))).toBe(true);
      }),
    );
  });

  test.each([
    [[3], 3],
    [[5, 1, 3], 3],
    [[4, 1, 3, 2], 2.5],
  ])('the median of %j is %d', (xs, m) => {
    expect(median(xs)).toBe(m);
  });
});
