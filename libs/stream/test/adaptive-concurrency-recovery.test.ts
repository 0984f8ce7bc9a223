import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { AdaptiveConcurrency, type AdaptiveConcurrencyOptions } from '../src/adaptive-concurrency.ts';

class OverloadedError extends Error {
  readonly code = 'STREAM_SINK_OVERLOADED';
}
const isOverloaded = (err: unknown): boolean => err instanceof OverloadedError;
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A sink the test drives by hand: `call(n)` queues n calls through `limiter.run`; call i is the
 * i-th the limiter let through (0-based) and `finish(i, outcome)` ends it with success or an
 * overload; `open()` lists the calls let through and not yet finished.
 */
function handSink(opts: Partial<AdaptiveConcurrencyOptions> & { min: number; max: number }) {
  const limiter = new AdaptiveConcurrency({ now: () => 0, ...opts });
  const changes: number[] = [];
  limiter.onChange = (limit) => changes.push(limit);
  const ends: ((outcome: 'ok' | 'overload') => void)[] = [];
  const finished = new Set<number>();
  return {
    limiter,
    changes,
    async call(n = 1): Promise<void> {
      for (let i = 0; i < n; i++) {
        const run = limiter.run(
          () => new Promise<void>((resolve, reject) => ends.push((o) => (o === 'ok' ? resolve() : reject(new OverloadedError('overloaded'))))),
          isOverloaded,
        );
        void run.catch(() => undefined);
      }
      await flush();
    },
    async finish(i: number, outcome: 'ok' | 'overload'): Promise<void> {
      finished.add(i);
      ends[i]!(outcome);
      await flush();
    },
    /** Ends several calls in the same tick, as responses read from one socket do. */
    async finishTogether(outcomes: [number, 'ok' | 'overload'][]): Promise<void> {
      for (const [i, outcome] of outcomes) {
        finished.add(i);
        ends[i]!(outcome);
      }
      await flush();
    },
    open: () => ends.map((_, i) => i).filter((i) => !finished.has(i)),
  };
}

describe('AdaptiveConcurrency recovery (calls made through run)', () => {
  it('cuts the limit once when calls sent behind the old ones time out too', async () => {
    // Prepare: 8 calls in flight (0-7), 4 more waiting; the sink's queue is full
    const sink = handSink({ min: 1, max: 64, initial: 8 });
    await sink.call(12);

    // Act: 0 times out (cut to 4); as the old calls end, 8, 9 and 10 start behind them and time out too
    await sink.finish(0, 'overload');
    for (const i of [1, 2, 3, 4]) await sink.finish(i, 'overload');
    await sink.finish(8, 'overload');
    for (const i of [5, 6]) await sink.finish(i, 'ok');
    for (const i of [9, 10]) await sink.finish(i, 'overload');
    const afterOldCalls = [...sink.changes];

    // Assess
    expect(afterOldCalls).toEqual([4]);
  });

  it('counts an overload again once every call from before the cut is gone', async () => {
    // Prepare: a cut at 8 with 7 old calls left in flight, 4 calls waiting
    const sink = handSink({ min: 1, max: 64, initial: 8 });
    await sink.call(12);
    await sink.finish(0, 'overload');

    // Act: the old calls end (8, 9 and 10 start while some are left; 11 after the last); then 11 times out
    for (let i = 1; i < 8; i++) await sink.finish(i, 'ok');
    await sink.finish(11, 'overload');

    // Assess
    expect(sink.changes).toEqual([4, 2]);
  });

  it('does not let a steady stream of new calls stretch the recovery', async () => {
    // Prepare: a cut at 8 with 7 old calls in flight; new calls keep starting behind them
    const sink = handSink({ min: 1, max: 64, initial: 8 });
    await sink.call(8);
    await sink.finish(0, 'overload');

    // Act: each old call that ends lets a new one in, until the old are gone; then a new one times out
    for (let i = 1; i < 8; i++) {
      await sink.finish(i, 'ok');
      await sink.call(1);
    }
    const inFlightThen = sink.open().length;
    await sink.finish(sink.open().at(-1)!, 'overload');

    // Assess
    expect(inFlightThen).toBe(4);
    expect(sink.changes).toEqual([4, 2]);
  });

  it('takes a call granted just before a cut as one of the old calls', async () => {
    // Prepare: 4 calls in flight (0-3), call 4 waiting
    const sink = handSink({ min: 1, max: 64, initial: 4 });
    await sink.call(5);

    // Act: 0 ends ok (4 is granted) and 1 times out in the same tick (cut to 2); the old calls then time out
    await sink.finishTogether([[0, 'ok'], [1, 'overload']]);
    for (const i of [2, 3, 4]) await sink.finish(i, 'overload');
    await sink.call(1);
    await sink.finish(5, 'overload'); // the first call sent after the old ones

    // Assess
    expect(sink.changes).toEqual([2, 1]);
  });

  it('ends the recovery after a window of new calls even when an old call hangs', async () => {
    // Prepare: a cut at 8 (to 4) with call 7 never answering
    const sink = handSink({ min: 1, max: 64, initial: 8 });
    await sink.call(8);
    await sink.finish(0, 'overload');
    for (let i = 1; i < 7; i++) await sink.finish(i, 'ok');

    // Act: 4 new calls (a window at the new limit) join the old window and end; then one more times out
    await sink.call(4);
    for (const i of [8, 9, 10, 11]) await sink.finish(i, 'ok');
    await sink.call(1);
    await sink.finish(12, 'overload');

    // Assess
    expect(sink.changes).toEqual([4, 2]);
  });

  it('holds its limit between floor and ceiling, cuts on a fresh overload and climbs back after', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({ min: fc.integer({ min: 1, max: 4 }), span: fc.integer({ min: 0, max: 24 }), slowStart: fc.boolean() }),
        fc.array(fc.record({ start: fc.integer({ min: 0, max: 6 }), end: fc.nat(), overload: fc.boolean() }), { maxLength: 60 }),
        async ({ min, span, slowStart }, steps) => {
          // Prepare
          const max = min + span;
          const sink = handSink({ min, max, initial: min, slowStart });
          const within = () => sink.limiter.limit >= min && sink.limiter.limit <= max;
          const drain = async () => {
            for (let open = sink.open(); open.length > 0; open = sink.open()) await sink.finish(open[0]!, 'ok');
          };

          // Act: calls start and end in any order, ending ok or overloaded
          for (const step of steps) {
            await sink.call(step.start);
            const open = sink.open();
            if (open.length > 0) await sink.finish(open[step.end % open.length]!, step.overload ? 'overload' : 'ok');
            expect(within()).toBe(true);
          }
          await drain();
          const afterStorm = sink.limiter.limit;
          // A fresh overload, alone in flight: the limit goes down (or stays at the floor)
          await sink.call(1);
          await sink.finish(sink.open()[0]!, 'overload');
          const cut = sink.limiter.limit;
          // Then successes only, with callers waiting: it climbs back to the ceiling
          for (let round = 0; round < 4 * (max + 1) && sink.limiter.limit < max; round++) {
            await sink.call(sink.limiter.limit + 1);
            await drain();
          }

          // Assess
          expect(within()).toBe(true);
          expect(cut).toBe(Math.max(min, Math.floor(afterStorm / 2)));
          expect(sink.limiter.limit).toBe(max);
          expect(sink.limiter.inFlight).toBe(0);
        },
      ),
      { numRuns: 60 },
    );
  });
});
