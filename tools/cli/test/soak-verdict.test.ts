import fc from 'fast-check';
import { memoryVerdict, type MemorySample } from '../src/soak-verdict.ts';

/** A service's samples: a live set that grows by `leakMbPerSample`, plus GC sawtooth garbage on top. */
function samples(n: number, liveMb: number, leakMbPerSample: number, garbage: (i: number) => number): MemorySample[] {
  return Array.from({ length: n }, (_, i) => ({ heapUsedMb: liveMb + leakMbPerSample * i + garbage(i), rssMb: 150 + i * 0.2, externalMb: 12 }));
}

describe('the soak memory verdict', () => {
  test('a heap that swings with every collection but always falls back to its live set is flat', () => {
    // Arrange: 180 samples (30 min at 10 s), live 20 MB, up to 30 MB of garbage between collections
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 180, maxLength: 180 }), (garbage) => {
        // Every 12th sample is taken just after a collection.
        const v = memoryVerdict(samples(180, 20, 0, (i) => (i % 12 === 0 ? 0 : garbage[i]!)));
        expect(v.flat).toBe(true);
        expect(v.heapFloorsMb).toEqual([20, 20, 20, 20, 20]);
      }),
    );
  });

  test('a live set that climbs to the end is not flat, whatever the garbage', () => {
    // Arrange: 20 MB growing by 0.1 MB a sample: 18 MB over the run
    const v = memoryVerdict(samples(180, 20, 0.1, (i) => (i % 12 === 0 ? 0 : 15)));

    // Assess
    expect(v.flat).toBe(false);
    expect(v.heapGrowthPct).toBeGreaterThan(10);
  });

  test('a step while caches fill, then a level live set, is flat', () => {
    const v = memoryVerdict(samples(180, 20, 0, (i) => (i >= 60 ? 8 : 0)));
    expect([v.flat, v.heapFloorsMb]).toEqual([true, [20, 20, 28, 28, 28]]);
  });

  test('fewer than five samples is refused', () => {
    expect(() => memoryVerdict(samples(4, 20, 0, () => 0))).toThrow(/at least 5 samples/);
  });
});
