import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { OffsetTracker, OffsetTrackerError } from '../src/offset-tracker.ts';

function trackerWith(...offsets: bigint[]): OffsetTracker {
  const tracker = new OffsetTracker();
  for (const offset of offsets) tracker.track(offset);
  return tracker;
}

function codeOf(fn: () => void): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(OffsetTrackerError);
    return (err as OffsetTrackerError).code;
  }
  return undefined;
}

describe('OffsetTracker', () => {
  it('commits only up to the first unfinished offset when work completes out of order', () => {
    // Prepare
    const tracker = trackerWith(10n, 11n, 12n, 13n);

    // Act
    tracker.complete(12n);
    tracker.complete(11n);
    const beforeHead = tracker.committable();
    tracker.complete(10n);
    const afterHead = tracker.committable();

    // Assess
    expect(beforeHead).toBeUndefined();
    expect(afterHead).toBe(13n);
    expect(tracker.inFlight).toBe(1);
  });

  it('commits past gaps between tracked offsets without waiting for them', () => {
    // Prepare
    const tracker = trackerWith(5n, 6n, 9n);

    // Act
    tracker.complete(6n);
    tracker.complete(5n);
    const withNinePending = tracker.committable();
    tracker.complete(9n);
    const allDone = tracker.committable();

    // Assess: 7 and 8 were never received, so everything below 9 is done.
    expect(withNinePending).toBe(9n);
    expect(allDone).toBe(10n);
  });

  it('offers nothing to commit before any completion and nothing new after markCommitted', () => {
    // Prepare
    const tracker = trackerWith(0n, 1n, 2n);
    const initially = tracker.committable();

    // Act
    tracker.complete(0n);
    const first = tracker.committable();
    tracker.markCommitted(first!);
    const again = tracker.committable();
    tracker.complete(1n);
    const next = tracker.committable();

    // Assess
    expect(initially).toBeUndefined();
    expect(first).toBe(1n);
    expect(again).toBeUndefined();
    expect(next).toBe(2n);
    expect(tracker.lastCommitted).toBe(1n);
  });

  it('moves the commit point when a new offset is tracked past a gap after everything was done', () => {
    // Prepare
    const tracker = trackerWith(3n);
    tracker.complete(3n);
    tracker.markCommitted(tracker.committable()!);

    // Act
    tracker.track(8n);
    const committable = tracker.committable();

    // Assess: 4..7 were skipped by the log (compaction, transaction markers), 8 is pending.
    expect(committable).toBe(8n);
  });

  it('keeps the highest committed offset when markCommitted is called with an older one', () => {
    // Prepare
    const tracker = new OffsetTracker();

    // Act
    tracker.markCommitted(7n);
    tracker.markCommitted(4n);

    // Assess
    expect(tracker.lastCommitted).toBe(7n);
  });

  it('counts records in flight as tracked minus completed', () => {
    // Prepare
    const tracker = trackerWith(1n, 2n, 3n, 4n);

    // Act
    tracker.complete(3n);
    tracker.complete(1n);

    // Assess
    expect(tracker.inFlight).toBe(2);
  });

  describe.each([
    {
      name: 'completing an offset never tracked',
      act: (t: OffsetTracker) => t.complete(7n),
      code: 'STREAM_OFFSET_NOT_TRACKED',
    },
    {
      name: 'completing an offset inside a gap',
      act: (t: OffsetTracker) => t.complete(3n),
      code: 'STREAM_OFFSET_NOT_TRACKED',
    },
    {
      name: 'completing twice an offset still behind an unfinished one',
      act: (t: OffsetTracker) => {
        t.complete(4n);
        t.complete(4n);
      },
      code: 'STREAM_OFFSET_ALREADY_COMPLETED',
    },
    {
      name: 'completing twice an offset already passed by the commit point',
      act: (t: OffsetTracker) => {
        t.complete(1n);
        t.complete(1n);
      },
      code: 'STREAM_OFFSET_NOT_TRACKED',
    },
    {
      name: 'tracking an offset not above the last one',
      act: (t: OffsetTracker) => t.track(4n),
      code: 'STREAM_OFFSET_NOT_INCREASING',
    },
  ])('misuse: $name', ({ act, code }) => {
    it(`throws ${code}`, () => {
      // Prepare: offsets 1, 2 and 4 (3 is a gap)
      const tracker = trackerWith(1n, 2n, 4n);

      // Act
      const thrown = codeOf(() => act(tracker));

      // Assess
      expect(thrown).toBe(code);
    });
  });

  it('handles 100,000 contiguous offsets completed in reverse order', () => {
    // Prepare
    const n = 100_000;
    const tracker = new OffsetTracker();
    for (let i = 0; i < n; i++) tracker.track(BigInt(i));

    // Act
    for (let i = n - 1; i > 0; i--) tracker.complete(BigInt(i));
    const beforeFirst = tracker.committable();
    tracker.complete(0n);

    // Assess
    expect(beforeFirst).toBeUndefined();
    expect(tracker.committable()).toBe(BigInt(n));
    expect(tracker.inFlight).toBe(0);
  });

  it('keeps finding offsets after the consumed head is compacted away', () => {
    // Prepare: a sliding window of 100 in-flight records over 20,000 offsets with gaps of 3,
    // completed oldest-but-one first so the head lags and the queue compacts many times.
    const tracker = new OffsetTracker();
    const window: bigint[] = [];
    let committed: bigint | undefined;

    // Act
    for (let i = 0; i < 20_000; i++) {
      const offset = BigInt(i * 3);
      tracker.track(offset);
      window.push(offset);
      if (window.length > 100) {
        const [oldest, second] = window.splice(0, 2) as [bigint, bigint];
        tracker.complete(second);
        tracker.complete(oldest);
      }
      const next = tracker.committable();
      if (next !== undefined) {
        tracker.markCommitted(next);
        committed = next;
      }
    }
    const oldestPending = window[0];
    for (const offset of [...window].reverse()) tracker.complete(offset);

    // Assess
    expect(committed).toBe(oldestPending);
    expect(tracker.committable()).toBe(BigInt(19_999 * 3 + 1));
    expect(tracker.inFlight).toBe(0);
  });

  it('never commits past an unfinished record and reaches last + 1 when all are done (property)', () => {
    const offsetsArb = fc
      .uniqueArray(fc.bigInt({ min: 0n, max: 400n }), { minLength: 1, maxLength: 120 })
      .map((offsets) => offsets.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    // Each step: track the next offset (when `track` or nothing is in flight) or complete the
    // in-flight record chosen by `pick`; `commit` marks the committable offset as committed.
    const stepsArb = fc.array(
      fc.record({ track: fc.boolean(), pick: fc.nat(), commit: fc.boolean() }),
      { maxLength: 400 },
    );

    fc.assert(
      fc.property(offsetsArb, stepsArb, (offsets, steps) => {
        // Prepare
        const tracker = new OffsetTracker();
        const tracked: bigint[] = [];
        const open: bigint[] = [];
        const done = new Set<bigint>();
        const check = (): void => {
          const c = tracker.committable();
          expect(tracker.inFlight).toBe(open.length);
          if (c === undefined) return;
          for (const o of tracked) if (o < c) expect(done.has(o)).toBe(true);
          expect(c <= tracked[tracked.length - 1]! + 1n).toBe(true);
          if (tracker.lastCommitted !== undefined) expect(c > tracker.lastCommitted).toBe(true);
        };
        const step = (track: boolean, pick: number, commit: boolean): void => {
          if ((track || open.length === 0) && tracked.length < offsets.length) {
            const offset = offsets[tracked.length]!;
            tracker.track(offset);
            tracked.push(offset);
            open.push(offset);
          } else if (open.length > 0) {
            const [offset] = open.splice(pick % open.length, 1) as [bigint];
            tracker.complete(offset);
            done.add(offset);
          }
          check();
          const c = tracker.committable();
          if (commit && c !== undefined) tracker.markCommitted(c);
        };

        // Act
        for (const { track, pick, commit } of steps) step(track, pick, commit);
        let seed = steps.length;
        while (tracked.length < offsets.length || open.length > 0) step(true, seed++ * 7919, false);

        // Assess
        const last = offsets[offsets.length - 1]!;
        const c = tracker.committable();
        expect(c ?? tracker.lastCommitted).toBe(last + 1n);
        expect(tracker.inFlight).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});
