/**
 * Whether a service's memory stayed flat over a soak. The JS heap in use swings with every
 * garbage collection, so a sample says little; its floor (the least heap in use over a stretch of
 * the run: what survived the collections) is the live set, and a leak raises it stretch after
 * stretch. The run is cut in fifths; the first is warm-up. Flat: the last fifth's floor is at most
 * 10 % above the highest floor of the fifths before it (a step while caches fill is allowed, a
 * climb to the end is not). RSS is reported beside it, not judged: V8 and the allocator keep pages
 * they freed, so RSS climbs in steps even without a leak.
 */
export interface MemorySample {
  heapUsedMb: number;
  rssMb: number;
  externalMb: number;
}

export interface MemoryVerdict {
  /** Heap floor of each fifth of the run, MB. */
  heapFloorsMb: number[];
  /** Last floor against the highest earlier post-warm-up floor, %. */
  heapGrowthPct: number;
  rssFirstMb: number;
  rssLastMb: number;
  externalLastMb: number;
  flat: boolean;
}

const round1 = (x: number) => Math.round(x * 10) / 10;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** The verdict for one service's samples in time order (at least 5). */
export function memoryVerdict(samples: readonly MemorySample[], tolerancePct = 10): MemoryVerdict {
  if (samples.length < 5) throw new RangeError(`a soak verdict needs at least 5 samples, got ${samples.length}`);
  const size = Math.floor(samples.length / 5);
  const fifths = [0, 1, 2, 3, 4].map((i) => samples.slice(i * size, i === 4 ? samples.length : (i + 1) * size));
  const floors = fifths.map((f) => Math.min(...f.map((s) => s.heapUsedMb)));
  const before = Math.max(...floors.slice(1, 4));
  const growth = ((floors[4]! - before) / before) * 100;
  return {
    heapFloorsMb: floors.map(round1),
    heapGrowthPct: round1(growth),
    rssFirstMb: round1(mean(fifths[1]!.map((s) => s.rssMb))),
    rssLastMb: round1(mean(fifths[4]!.map((s) => s.rssMb))),
    externalLastMb: round1(mean(fifths[4]!.map((s) => s.externalMb))),
    flat: growth <= tolerancePct,
  };
}
