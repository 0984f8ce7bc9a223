import { describe, expect, it } from '@jest/globals';
import { AsyncLocalStorage } from 'node:async_hooks';
import fc from 'fast-check';
import {
  AsyncOperator,
  AsyncTimeoutError,
  type AsyncFailure,
  type AsyncOperatorOptions,
  type AsyncResult,
} from '../src/async-operator.ts';
import { InvalidOptionError } from '../src/backoff.ts';
import { ManualClock, settle } from './helpers/manual-clock.ts';

// Every test runs on a ManualClock: times below are exact, not margins.

const never = <T>(): Promise<T> => new Promise<T>(() => {});

class RetryableError extends Error {
  readonly retryable = true;
}
const isRetryable = (err: unknown): boolean => err instanceof RetryableError;

/** Counts calls in flight and keeps the maximum seen. */
function concurrencyProbe() {
  const probe = {
    current: 0,
    max: 0,
    calls: 0,
    async around<T>(work: () => Promise<T>): Promise<T> {
      probe.calls++;
      probe.current++;
      probe.max = Math.max(probe.max, probe.current);
      try {
        return await work();
      } finally {
        probe.current--;
      }
    },
  };
  return probe;
}

function operator<I, O>(
  clock: ManualClock,
  opts: Partial<AsyncOperatorOptions<I, O>> & Pick<AsyncOperatorOptions<I, O>, 'call'>,
) {
  return new AsyncOperator<I, O>({ capacity: 4, timeoutMs: 1_000, clock, ...opts });
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const kinds = <I, O>(results: AsyncResult<I, O>[]): string[] =>
  results.map((r) => (r.ok ? 'ok' : r.failure.kind));

describe('AsyncOperator', () => {
  it('keeps at most `capacity` items queued behind the slots, however many wait, and answers every one in order', async () => {
    // Prepare: capacity 4, 1,000 items whose calls end only when released
    const clock = new ManualClock();
    const releases: (() => void)[] = [];
    const op = operator<number, number>(clock, {
      timeoutMs: Infinity,
      call: (i) => new Promise<number>((resolve) => releases.push(() => resolve(i))),
    });
    // Act
    const done = op.process(range(1_000));
    await settle();
    const queuedSeen = [op.queued];
    while (releases.length > 0) {
      releases.shift()!();
      await settle();
      queuedSeen.push(op.queued);
    }
    const results = await done;
    // Assert
    expect(Math.max(...queuedSeen)).toBeLessThanOrEqual(4);
    expect(queuedSeen[0]).toBe(4);
    expect(results.map((r) => (r.ok ? r.value : -1))).toEqual(range(1_000));
  });

  it('runs a queued call in the async context of its own batch, not of the call that freed its slot', async () => {
    // Prepare: capacity 1, batch "a" holds the slot while batch "b" queues behind it
    const clock = new ManualClock();
    const als = new AsyncLocalStorage<string>();
    const seen: string[] = [];
    const op = operator<number, number>(clock, {
      capacity: 1,
      call: async (i) => {
        seen.push(`${i}:${als.getStore()}`);
        await clock.sleep(1);
        return i;
      },
    });

    // Act
    const a = als.run('a', () => op.process([1]));
    const b = als.run('b', () => op.process([2]));
    await clock.until(Promise.all([a, b]));

    // Assess
    expect(seen).toEqual(['1:a', '2:b']);
  });

  it('fills its capacity, never passes it, and answers every item in input order', async () => {
    // Prepare: calls of 0-3 ms, completing out of input order
    const clock = new ManualClock();
    const probe = concurrencyProbe();
    const inflightSeen: number[] = [];
    const op = operator<number, number>(clock, {
      capacity: 8,
      call: (i) =>
        probe.around(async () => {
          await clock.sleep(3 - (i % 4));
          return i * 2;
        }),
      hooks: { onInflight: (n) => inflightSeen.push(n) },
    });

    // Act
    const results = await clock.until(op.process(range(200)));

    // Assess
    expect(probe.calls).toBe(200);
    expect(probe.max).toBe(8);
    expect(Math.max(...inflightSeen)).toBe(8);
    expect(inflightSeen[inflightSeen.length - 1]).toBe(0);
    expect(results).toEqual(
      range(200).map((i) => ({ item: i, ok: true, value: i * 2, fallback: false })),
    );
    expect(op.inFlight).toBe(0);
  });

  it('shares capacity between overlapping process calls', async () => {
    // Prepare
    const clock = new ManualClock();
    const probe = concurrencyProbe();
    const op = operator<number, number>(clock, {
      capacity: 5,
      call: (i) =>
        probe.around(async () => {
          await clock.sleep(1 + (i % 3));
          return i;
        }),
    });

    // Act
    const [a, b, c] = await clock.until(
      Promise.all([op.process(range(30)), op.process(range(30)), op.process(range(30))]),
    );

    // Assess
    expect(probe.calls).toBe(90);
    expect(probe.max).toBe(5);
    expect([a, b, c].map((results) => results.map((r) => r.ok && r.value))).toEqual([
      range(30),
      range(30),
      range(30),
    ]);
  });

  it('times out an item queued behind a slow call at its deadline counted from arrival, not from its call', async () => {
    // Prepare: capacity 1, a 200 ms deadline. The first call takes 100 ms; the queued one starts
    // then and would answer 160 ms later (at 260 ms, inside a deadline counted from its call).
    const clock = new ManualClock();
    const signals: AbortSignal[] = [];
    const durations: number[] = [];
    const op = operator<string, string>(clock, {
      capacity: 1,
      timeoutMs: 200,
      call: async (item, signal) => {
        signals.push(signal);
        await clock.sleep(item === 'first' ? 100 : 160);
        return `${item} done`;
      },
      hooks: { onDuration: (ms) => durations.push(ms) },
    });

    // Act
    const results = await clock.until(op.process(['first', 'queued']));

    // Assess
    expect(results).toEqual([
      { item: 'first', ok: true, value: 'first done', fallback: false },
      { item: 'queued', ok: false, failure: { kind: 'timeout' } },
    ]);
    expect(clock.now()).toBe(200);
    expect(durations).toEqual([100, 200]);
    expect(signals[1]!.aborted).toBe(true);
  });

  it('times out queued items at their deadline without ever calling them', async () => {
    // Prepare
    const clock = new ManualClock();
    let calls = 0;
    const op = operator<number, number>(clock, {
      capacity: 1,
      timeoutMs: 50,
      call: () => {
        calls++;
        return never();
      },
    });

    // Act
    const results = await clock.until(op.process([1, 2, 3]));
    await clock.advance(1_000);

    // Assess
    expect(clock.now()).toBe(1_050);
    expect(calls).toBe(1);
    expect(kinds(results)).toEqual(['timeout', 'timeout', 'timeout']);
    expect(op.inFlight).toBe(0);
  });

  it('never calls a queued item whose deadline passed at the moment another deadline frees its slot', async () => {
    // Prepare: capacity 1; two batches arrive together with one 100 ms deadline. The first batch's
    // call hangs, so the second batch's item waits; at 100 ms the first timer frees the slot.
    const clock = new ManualClock();
    const called: string[] = [];
    const op = operator<string, string>(clock, {
      capacity: 1,
      timeoutMs: 100,
      call: (item) => {
        called.push(item);
        return never();
      },
    });

    // Act
    const [first, second] = await clock.until(
      Promise.all([op.process(['hangs']), op.process(['queued'])]),
    );

    // Assess
    expect(called).toEqual(['hangs']);
    expect([kinds(first), kinds(second)]).toEqual([['timeout'], ['timeout']]);
    expect(clock.now()).toBe(100);
  });

  it('frees the slot of a timed-out call at once and aborts its signal', async () => {
    // Prepare: capacity 1; a call that never answers holds the slot until its deadline at 100 ms.
    // A second batch arrives at 50 ms with its own deadline at 150 ms.
    const clock = new ManualClock();
    let hungSignal: AbortSignal | undefined;
    const startedAt: Record<string, number> = {};
    const op = operator<string, string>(clock, {
      capacity: 1,
      timeoutMs: 100,
      call: (item, signal) => {
        startedAt[item] = clock.now();
        if (item === 'hangs') {
          hungSignal = signal;
          return never();
        }
        return Promise.resolve(`${item} done`);
      },
    });

    // Act
    const first = op.process(['hangs']);
    await clock.advance(50);
    const second = op.process(['next']);
    const [hung, next] = await clock.until(Promise.all([first, second]));

    // Assess: the second batch ran in the freed slot the moment the first one timed out
    expect(hung).toEqual([{ item: 'hangs', ok: false, failure: { kind: 'timeout' } }]);
    expect(next).toEqual([{ item: 'next', ok: true, value: 'next done', fallback: false }]);
    expect(startedAt).toEqual({ hangs: 0, next: 100 });
    expect(hungSignal!.aborted).toBe(true);
    expect(hungSignal!.reason).toBeInstanceOf(AsyncTimeoutError);
    expect(hungSignal!.reason).toMatchObject({
      code: 'STREAM_ASYNC_TIMEOUT',
      retryable: true,
      timeoutMs: 100,
    });
    expect(op.inFlight).toBe(0);
  });

  it('ignores a result that arrives after the deadline', async () => {
    // Prepare
    const clock = new ManualClock();
    const durations: number[] = [];
    const op = operator<string, string>(clock, {
      timeoutMs: 30,
      call: async () => {
        await clock.sleep(60);
        return 'too late';
      },
      hooks: { onDuration: (ms) => durations.push(ms) },
    });

    // Act
    const results = await clock.until(op.process(['x']));
    await clock.advance(100);

    // Assess: the late value came at 60 ms and changed nothing
    expect(clock.now()).toBe(130);
    expect(results).toEqual([{ item: 'x', ok: false, failure: { kind: 'timeout' } }]);
    expect(durations).toEqual([30]);
  });

  it('retries a retryable error after its backoff and succeeds within the deadline', async () => {
    // Prepare: backoff ceilings 10 then 20 ms, the jitter draw 0.5 -> 5 then 10 ms
    const clock = new ManualClock();
    const callTimes: number[] = [];
    let retries = 0;
    const op = operator<string, string>(clock, {
      retry: { attempts: 5, baseMs: 10, maxMs: 100, isRetryable, random: () => 0.5 },
      call: async (item) => {
        callTimes.push(clock.now());
        if (callTimes.length < 3) throw new RetryableError('busy');
        return `${item} done`;
      },
      hooks: { onRetry: () => retries++ },
    });

    // Act
    const results = await clock.until(op.process(['x']));

    // Assess
    expect(results).toEqual([{ item: 'x', ok: true, value: 'x done', fallback: false }]);
    expect(callTimes).toEqual([0, 5, 15]);
    expect(retries).toBe(2);
  });

  it('holds the slot while a retry waits for its backoff', async () => {
    // Prepare: capacity 1; "flaky" fails once and retries after 5 ms; "second" waits for the slot
    const clock = new ManualClock();
    const calls: string[] = [];
    let failed = false;
    const op = operator<string, string>(clock, {
      capacity: 1,
      retry: { attempts: 2, baseMs: 10, maxMs: 10, isRetryable, random: () => 0.5 },
      call: async (item) => {
        calls.push(`${item}@${clock.now()}`);
        if (item === 'flaky' && !failed) {
          failed = true;
          throw new RetryableError('busy');
        }
        return item;
      },
    });

    // Act
    const results = await clock.until(op.process(['flaky', 'second']));

    // Assess
    expect(calls).toEqual(['flaky@0', 'flaky@5', 'second@5']);
    expect(kinds(results)).toEqual(['ok', 'ok']);
  });

  it('fails a non-retryable error at once, with its error and one attempt', async () => {
    // Prepare
    const clock = new ManualClock();
    const error = new Error('bad input');
    let calls = 0;
    const op = operator<string, string>(clock, {
      retry: { attempts: 5, baseMs: 1, maxMs: 5, isRetryable },
      call: () => {
        calls++;
        return Promise.reject(error);
      },
    });

    // Act
    const results = await clock.until(op.process(['x']));

    // Assess
    expect(results).toEqual([
      { item: 'x', ok: false, failure: { kind: 'error', error, attempts: 1 } },
    ]);
    expect(calls).toBe(1);
    expect(clock.now()).toBe(0);
  });

  it('fails at once, without retrying, when the classifier throws', async () => {
    // Prepare
    const clock = new ManualClock();
    const error = new RetryableError('busy');
    const op = operator<string, string>(clock, {
      retry: {
        attempts: 5,
        baseMs: 1,
        maxMs: 5,
        isRetryable: () => {
          throw new Error('classifier bug');
        },
      },
      call: () => Promise.reject(error),
    });

    // Act
    const results = await clock.until(op.process(['x']));

    // Assess
    expect(results).toEqual([
      { item: 'x', ok: false, failure: { kind: 'error', error, attempts: 1 } },
    ]);
  });

  it('gives up after retry.attempts calls with the last error', async () => {
    // Prepare
    const clock = new ManualClock();
    let calls = 0;
    const op = operator<string, string>(clock, {
      retry: { attempts: 3, baseMs: 1, maxMs: 2, isRetryable },
      call: () => Promise.reject(new RetryableError(`busy ${++calls}`)),
    });

    // Act
    const [result] = await clock.until(op.process(['x']));

    // Assess
    expect(calls).toBe(3);
    expect(result).toMatchObject({
      ok: false,
      failure: { kind: 'error', attempts: 3, error: { message: 'busy 3' } },
    });
  });

  it('does not retry when the backoff would end after the deadline', async () => {
    // Prepare: a backoff of 0.99 * 10 s against a 200 ms deadline
    const clock = new ManualClock();
    let retries = 0;
    const error = new RetryableError('busy');
    const op = operator<string, string>(clock, {
      timeoutMs: 200,
      retry: { attempts: 5, baseMs: 10_000, maxMs: 10_000, isRetryable, random: () => 0.99 },
      call: () => Promise.reject(error),
      hooks: { onRetry: () => retries++ },
    });

    // Act
    const results = await clock.until(op.process(['x']));

    // Assess
    expect(results).toEqual([
      { item: 'x', ok: false, failure: { kind: 'error', error, attempts: 1 } },
    ]);
    expect(retries).toBe(0);
    expect(clock.now()).toBe(0);
  });

  it('times out a retried call at the deadline of its item and frees its slot', async () => {
    // Prepare: a 300 ms deadline, a first backoff of 40 ms; the second call takes 3 s
    const clock = new ManualClock();
    let calls = 0;
    const op = operator<string, string>(clock, {
      timeoutMs: 300,
      retry: { attempts: 5, baseMs: 80, maxMs: 80, isRetryable, random: () => 0.5 },
      call: async () => {
        calls++;
        if (calls === 1) throw new RetryableError('busy');
        await clock.sleep(3_000);
        return 'late';
      },
    });

    // Act
    const results = await clock.until(op.process(['x']));
    await settle();

    // Assess
    expect(results).toEqual([{ item: 'x', ok: false, failure: { kind: 'timeout' } }]);
    expect(clock.now()).toBe(300);
    expect(calls).toBe(2);
    expect(op.inFlight).toBe(0);
  });

  it('treats a call that throws synchronously as a failed call', async () => {
    // Prepare
    const clock = new ManualClock();
    const error = new Error('sync');
    const op = operator<string, string>(clock, {
      call: () => {
        throw error;
      },
    });

    // Act
    const results = await clock.until(op.process(['x']));

    // Assess
    expect(results).toEqual([
      { item: 'x', ok: false, failure: { kind: 'error', error, attempts: 1 } },
    ]);
  });

  it('answers with the declared fallback on final failure and on timeout', async () => {
    // Prepare
    const clock = new ManualClock();
    const reasons: AsyncFailure[] = [];
    const error = new Error('lookup failed');
    const op = operator<string, string>(clock, {
      timeoutMs: 50,
      call: (item) => (item === 'hangs' ? never() : Promise.reject(error)),
      fallback: (item, reason) => {
        reasons.push(reason);
        return `${item}: unknown asset`;
      },
    });

    // Act
    const results = await clock.until(op.process(['fails', 'hangs']));

    // Assess
    expect(results).toEqual([
      { item: 'fails', ok: true, value: 'fails: unknown asset', fallback: true },
      { item: 'hangs', ok: true, value: 'hangs: unknown asset', fallback: true },
    ]);
    expect(reasons).toEqual([{ kind: 'error', error, attempts: 1 }, { kind: 'timeout' }]);
  });

  it('answers with the failure when the fallback itself throws', async () => {
    // Prepare
    const clock = new ManualClock();
    const error = new Error('lookup failed');
    const op = operator<string, string>(clock, {
      call: () => Promise.reject(error),
      fallback: () => {
        throw new Error('fallback bug');
      },
    });

    // Act
    const results = await clock.until(op.process(['x']));

    // Assess
    expect(results).toEqual([
      { item: 'x', ok: false, failure: { kind: 'error', error, attempts: 1 } },
    ]);
  });

  it('resolves an empty batch with no results', async () => {
    // Prepare
    const clock = new ManualClock();
    const op = operator<string, string>(clock, { call: async (item) => item });

    // Act
    const results = await op.process([]);

    // Assess
    expect(results).toEqual([]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('reports timeouts and each item\'s duration from its arrival through its hooks', async () => {
    // Prepare
    const clock = new ManualClock();
    let timeouts = 0;
    const durations: number[] = [];
    const op = operator<number, number>(clock, {
      timeoutMs: 40,
      call: async (i) => {
        if (i % 2 === 0) return never();
        await clock.sleep(i);
        return i;
      },
      hooks: { onTimeout: () => timeouts++, onDuration: (ms) => durations.push(ms) },
    });

    // Act
    await clock.until(op.process(range(6)));

    // Assess: capacity 4, so item 5 waited for item 3's slot (3 ms) before its 5 ms call
    expect(timeouts).toBe(3);
    expect(durations).toEqual([1, 3, 8, 40, 40, 40]);
  });

  it('arms no deadline timer for timeoutMs Infinity and none is left once a batch is answered', async () => {
    // Prepare
    const clock = new ManualClock();
    let release: (value: string) => void = () => undefined;
    const unbounded = operator<string, string>(clock, {
      timeoutMs: Infinity,
      call: () => new Promise<string>((resolve) => (release = resolve)),
    });
    const bounded = operator<number, number>(clock, { timeoutMs: 60_000, call: async (i) => i });

    // Act
    const waiting = unbounded.process(['x']);
    await settle();
    const timersWhileWaiting = clock.pendingTimers;
    release('done');
    const results = await waiting;
    await clock.until(bounded.process(range(5)));
    await clock.until(bounded.process(range(5)));

    // Assess
    expect(timersWhileWaiting).toBe(0);
    expect(results).toEqual([{ item: 'x', ok: true, value: 'done', fallback: false }]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('leaves no Node timer behind on the system clock once every batch is answered', async () => {
    // Prepare
    const timersBefore = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const op = new AsyncOperator<number, number>({
      capacity: 4,
      timeoutMs: 60_000,
      call: async (i) => i,
    });

    // Act
    const results = await op.process(range(5));
    await op.process(range(5));

    // Assess
    expect(results.map((r) => r.ok && r.value)).toEqual(range(5));
    const timersAfter = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    expect(timersAfter).toBe(timersBefore);
  });

  it.each([
    { opts: { capacity: 0 }, option: 'capacity' },
    { opts: { capacity: 2.5 }, option: 'capacity' },
    { opts: { timeoutMs: 0 }, option: 'timeoutMs' },
    {
      opts: { retry: { attempts: 0, baseMs: 1, maxMs: 2, isRetryable } },
      option: 'retry.attempts',
    },
    { opts: { retry: { attempts: 2, baseMs: -1, maxMs: 2, isRetryable } }, option: 'retry.baseMs' },
    { opts: { retry: { attempts: 2, baseMs: 5, maxMs: 2, isRetryable } }, option: 'retry.maxMs' },
  ])('rejects option $option with STREAM_INVALID_OPTION', ({ opts, option }) => {
    // Act
    let thrown: unknown;
    try {
      operator<string, string>(new ManualClock(), { call: async (item) => item, ...opts });
    } catch (err) {
      thrown = err;
    }

    // Assess
    expect(thrown).toBeInstanceOf(InvalidOptionError);
    expect(thrown).toMatchObject({ code: 'STREAM_INVALID_OPTION', option });
  });

  it('gives every item exactly one result, within capacity, never calling past its deadline (property)', async () => {
    type Behaviour = { kind: 'ok' | 'fail' | 'flaky' | 'hang' | 'throw'; delayMs: number };
    const behaviourArb = fc.record({
      kind: fc.constantFrom<Behaviour['kind']>('ok', 'fail', 'flaky', 'hang', 'throw'),
      delayMs: fc.integer({ min: 0, max: 12 }),
    });
    const batchArb = fc.record({
      arrivesAtMs: fc.integer({ min: 0, max: 40 }),
      items: fc.array(behaviourArb, { maxLength: 12 }),
    });

    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6 }),
        fc.array(batchArb, { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        async (capacity, batches, withFallback) => {
          // Prepare
          const clock = new ManualClock();
          const timeoutMs = 30;
          const attempts = new Map<Behaviour, number>();
          const lateCalls: number[] = [];
          let maxInflight = 0;
          const deadlineOf = new Map<Behaviour, number>();
          const op = new AsyncOperator<Behaviour, string>({
            capacity,
            timeoutMs,
            clock,
            retry: { attempts: 3, baseMs: 1, maxMs: 3, isRetryable },
            ...(withFallback ? { fallback: () => 'fallback' } : {}),
            hooks: { onInflight: (n) => (maxInflight = Math.max(maxInflight, n)) },
            call: async (b) => {
              if (clock.now() >= deadlineOf.get(b)!) lateCalls.push(clock.now());
              const n = (attempts.get(b) ?? 0) + 1;
              attempts.set(b, n);
              if (b.kind === 'throw') throw new Error('sync');
              if (b.kind === 'hang') return never<string>();
              await clock.sleep(b.delayMs);
              if (b.kind === 'fail') throw new Error('bad');
              if (b.kind === 'flaky' && n < 2) throw new RetryableError('busy');
              return 'value';
            },
          });

          // Act: each batch arrives at its own time
          const all = Promise.all(
            batches.map(
              ({ arrivesAtMs, items }) =>
                new Promise<AsyncResult<Behaviour, string>[]>((resolve) => {
                  clock.setTimeout(() => {
                    for (const b of items) deadlineOf.set(b, clock.now() + timeoutMs);
                    resolve(op.process(items));
                  }, arrivesAtMs);
                }),
            ),
          );
          const results = await clock.until(all);

          // Assess: one result per item, in input order, by its deadline
          expect(lateCalls).toEqual([]);
          batches.forEach(({ items }, i) => {
            expect(results[i]!.map((r) => r.item)).toEqual(items);
            for (const r of results[i]!) {
              const canSucceed = r.item.kind === 'ok' || r.item.kind === 'flaky';
              if (withFallback) expect(r.ok).toBe(true);
              else if (!canSucceed) expect(r.ok).toBe(false);
              // an item that can succeed fails only by its deadline (queued behind hanging calls);
              // a flaky one whose retry would end past the deadline fails at once with its error
              else if (!r.ok && r.item.kind === 'ok') expect(r.failure).toEqual({ kind: 'timeout' });
              else if (!r.ok) expect(['timeout', 'error']).toContain(r.failure.kind);
              if (r.ok) expect(r.fallback).toBe(!canSucceed || r.value === 'fallback');
            }
          });
          expect(maxInflight).toBeLessThanOrEqual(capacity);
          expect(op.inFlight).toBe(0);
        },
      ),
      { numRuns: 100 },
    );
  });
});
