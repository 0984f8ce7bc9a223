/**
 * Whether a service's memory stayed flat over a soak, judged twice: the live JS heap and the RSS.
 *
 * Heap. The heap in use swings with every garbage collection, so a sample says little; its floor
 * (the least heap in use over a stretch of the run: what survived the collections) is the live
 * set, and a leak raises it stretch after stretch. The run is cut in fifths; the first is warm-up.
 * Flat: the last fifth's floor is at most `heapTolerancePct` above the highest floor of the fifths
 * before it (a step while caches fill is allowed, a climb to the end is not).
 *
 * RSS. What the machine pays: heap reservations, allocator arenas, buffers and code, not only
 * the live set, so a service can leak there with a flat heap. It does not follow each collection
 * (V8 and the allocator keep pages they freed), so its level in a fifth is that fifth's median.
 * Flat: the last fifth's level is at most `rssToleranceMb` above the second fifth's (the first
 * after warm-up): whatever RSS a service needs it must have taken by then, and a slow climb over
 * the run (191 -> 231 MB in half an hour) adds up past the tolerance even when no single fifth
 * steps much. Bounded: no sample after warm-up above `rssBoundMb`.
 */
export interface MemorySample {
  heapUsedMb: number;
  rssMb: number;
  externalMb: number;
}

export interface MemoryVerdictOptions {
  /** Last heap floor over the highest earlier post-warm-up floor, at most, % (default 10). */
  heapTolerancePct?: number;
  /** Last fifth's RSS over the second fifth's, at most, MB (default 15). */
  rssToleranceMb?: number;
  /** Highest RSS allowed after warm-up, MB (default 150: issue #18's goal). */
  rssBoundMb?: number;
}

export interface MemoryVerdict {
  /** Heap floor of each fifth of the run, MB. */
  heapFloorsMb: number[];
  /** Last floor against the highest earlier post-warm-up floor, %. */
  heapGrowthPct: number;
  heapFlat: boolean;
  /** Median RSS of each fifth of the run, MB. */
  rssLevelsMb: number[];
  /** Last fifth's RSS level minus the second fifth's, MB. */
  rssGrowthMb: number;
  /** Highest RSS after warm-up, MB. */
  rssMaxMb: number;
  rssFlat: boolean;
  rssUnderBound: boolean;
  externalLastMb: number;
  /** All three: heap flat, RSS flat, RSS under its bound. */
  flat: boolean;
  /** Why not (empty when flat), one sentence per failed rule. */
  why: string[];
}

const round1 = (x: number) => Math.round(x * 10) / 10;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** The median of a non-empty list. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The samples cut in five consecutive stretches (the last takes the remainder). */
export function fifths<T>(samples: readonly T[]): T[][] {
  const size = Math.floor(samples.length / 5);
  return [0, 1, 2, 3, 4].map((i) => samples.slice(i * size, i === 4 ? samples.length : (i + 1) * size));
}

/** The verdict for one service's samples in time order (at least 5). */
export function memoryVerdict(samples: readonly MemorySample[], o: MemoryVerdictOptions = {}): MemoryVerdict {
  const { heapTolerancePct = 10, rssToleranceMb = 15, rssBoundMb = 150 } = o;
  if (samples.length < 5) throw new RangeError(`a soak verdict needs at least 5 samples, got ${samples.length}`);
  const parts = fifths(samples);
  const floors = parts.map((f) => Math.min(...f.map((s) => s.heapUsedMb)));
  const before = Math.max(...floors.slice(1, 4));
  const heapGrowthPct = ((floors[4]! - before) / before) * 100;
  const levels = parts.map((f) => median(f.map((s) => s.rssMb)));
  const rssGrowthMb = levels[4]! - levels[1]!;
  const rssMaxMb = Math.max(...parts.slice(1).flat().map((s) => s.rssMb));
  const heapFlat = heapGrowthPct <= heapTolerancePct;
  const rssFlat = rssGrowthMb <= rssToleranceMb;
  const rssUnderBound = rssMaxMb <= rssBoundMb;
  const why = [
    ...(heapFlat ? [] : [`live heap ends ${round1(heapGrowthPct)} % above its earlier floors (> ${heapTolerancePct} %)`]),
    ...(rssFlat ? [] : [`RSS climbed ${round1(rssGrowthMb)} MB after warm-up (> ${rssToleranceMb} MB)`]),
    ...(rssUnderBound ? [] : [`RSS reached ${round1(rssMaxMb)} MB (> ${rssBoundMb} MB)`]),
  ];
  return {
    heapFloorsMb: floors.map(round1),
    heapGrowthPct: round1(heapGrowthPct),
    heapFlat,
    rssLevelsMb: levels.map(round1),
    rssGrowthMb: round1(rssGrowthMb),
    rssMaxMb: round1(rssMaxMb),
    rssFlat,
    rssUnderBound,
    externalLastMb: round1(mean(parts[4]!.map((s) => s.externalMb))),
    flat: why.length === 0,
    why,
  };
}
