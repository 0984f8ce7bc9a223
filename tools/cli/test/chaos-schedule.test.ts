import fc from 'fast-check';
import { createRng } from '@fleetstream/simulator';
import { scheduleFaults } from '../src/chaos/faults.ts';
import { DEFAULT_FAULTS, FAULT_KINDS, type FaultKind } from '../src/chaos/options.ts';

/** The chaos command's seeded source. */
const rng = createRng;

describe('the chaos fault schedule', () => {
  test('the default run injects every fault of the list once per entry, in time order, inside the window', () => {
    // Act
    const schedule = scheduleFaults(DEFAULT_FAULTS, 600_000, rng(1));

    // Assess
    expect(schedule.map((f) => f.kind).sort()).toEqual([...DEFAULT_FAULTS].sort());
    expect(schedule.map((f) => f.atMs)).toEqual([...schedule.map((f) => f.atMs)].sort((a, b) => a - b));
    expect(schedule.every((f) => f.atMs > 0 && f.atMs < 600_000)).toBe(true);
  });

  test('the same seed gives the same schedule', () => {
    expect(scheduleFaults(DEFAULT_FAULTS, 600_000, rng(7))).toEqual(scheduleFaults(DEFAULT_FAULTS, 600_000, rng(7)));
  });

  test('a schema change always falls in the middle third of the window, so events pass through both versions', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...FAULT_KINDS), { maxLength: 30 }), fc.integer({ min: 1, max: 2 ** 31 }), fc.integer({ min: 1_000, max: 3_600_000 }), (faults: FaultKind[], seed, windowMs) => {
        const deploys = scheduleFaults([...faults, 'schema'], windowMs, rng(seed)).filter((f) => f.kind === 'schema');
        expect(deploys).toHaveLength(faults.filter((f) => f === 'schema').length + 1);
        for (const d of deploys) {
          expect(d.atMs).toBeGreaterThanOrEqual(Math.floor(windowMs / 3));
          expect(d.atMs).toBeLessThanOrEqual(Math.ceil((2 * windowMs) / 3));
        }
      }),
    );
  });
});
