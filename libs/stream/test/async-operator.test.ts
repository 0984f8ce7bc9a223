import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  AsyncOperator,
  AsyncTimeoutError,
  type AsyncFailure,
  type AsyncMode,
  type AsyncOperatorOptions,
  type AsyncResult,
} from '../src/async-operator.ts';
import { InvalidOptionError } from '../src/backoff.ts';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const never = <T>(): Promise<T> => new Promise<T>(() => {});

class RetryableError extends Error {
  readonly retryable = true;
}
const isRetryable = (err: unknown): boolean => err instanceof RetryableError;

/** Counts calls in flight, overall and per key, and keeps the maxima seen. */
function concurrencyProbe() {
  const perKey = new Map<string, number>();
  const probe = {
    current: 0,
    max: 0,
    maxPerKey: 0,
    calls: 0,
    async around<T>(key: string, work: () => Promise<T>): Promise<T> {
      probe.calls++;
      probe.current++;
      probe.max = Math.max(probe.max, probe.current);
      const k = (perKey.get(key) ?? 0) + 1;
      perKey.set(key, k);
      probe.maxPerKey = Math.max(probe.maxPerKey, k);
      try {
        return await work();
      } finally {
        probe.current--;
        perKey.set(key, (perKey.get(key) ?? 1) - 1);
      }
    },
  };
  return probe;
}

function operator<I, O>(
  opts: Partial<AsyncOperatorOptions<I, O>> & Pick<AsyncOperatorOptions<I, O>, 'call'>,
) {
  return new AsyncOperator<I, O>({ capacity: 4, timeoutMs: 1_000, mode: 'unordered', ...opts });
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('AsyncOperator', () => {
  describe.each<AsyncMode>(['ordered', 'unordered', 'per-key'])('in %s mode', (mode) => {
    it('never has more calls in flight than capacity and answers every item in input order', async () => {
      // Prepare
      const probe = concurrencyProbe();
      const inflightSeen: number[] = [];
      const op = operator<number, number>({
        capacity: 8,
        mode,
        keyOf: (i) => `device-${i % 20}`,
        call: (i) =>
          probe.around(String(i % 20), async () => {
            await sleep(i % 4);
            return i * 2;
          }),
        hooks: { onInflight: (n) => inflightSeen.push(n) },
      });

      // Act
      const results = await op.process(range(200));

      // Assess
      expect(probe.max).toBe(8);
      expect(Math.max(...inflightSeen)).toBe(8);
      expect(inflightSeen[inflightSeen.length - 1]).toBe(0);
      expect(results).toEqual(
        range(200).map((i) => ({ item: i, ok: true, value: i * 2, fallback: false })),
      );
      expect(op.inFlight).toBe(0);
    });
  });

  it('shares capacity between overlapping process calls', async () => {
    // Prepare
    const probe = concurrencyProbe();
    const op = operator<number, number>({
      capacity: 5,
      call: (i) =>
        probe.around('', async () => {
          await sleep(1 + (i % 3));
          return i;
        }),
    });

    // Act
    const [a, b, c] = await Promise.all([
      op.process(range(30)),
      op.process(range(30)),
      op.process(range(30)),
    ]);

    // Assess
    expect(probe.max).toBe(5);
    expect([a.length, b.length, c.length]).toEqual([30, 30, 30]);
    expect([...a, ...b, ...c].every((r) => r.ok)).toBe(true);
  });

  it('times out an item queued behind a slow call at its deadline counted from arrival, not from its call', async () => {
    // Prepare: capacity 1, a 200 ms deadline. The first call takes 100 ms; the queued one starts
    // then and would answer 160 ms later (260 ms after arrival, inside a deadline counted from its call).
    const signals: AbortSignal[] = [];
    const op = operator<string, string>({
      capacity: 1,
      timeoutMs: 200,
      call: async (item, signal) => {
        signals.push(signal);
        await sleep(item === 'first' ? 100 : 160);
        return `${item} done`;
      },
    });

    // Act
    const results = await op.process(['first', 'queued']);

    // Assess
    expect(results).toEqual([
      { item: 'first', ok: true, value: 'first done', fallback: false },
      { item: 'queued', ok: false, failure: { kind: 'timeout' } },
    ]);
    expect(signals[1]!.aborted).toBe(true);
  });

  it('times out queued items without ever calling them', async () => {
    // Prepare
    let calls = 0;
    const op = operator<number, number>({
      capacity: 1,
      timeoutMs: 50,
      call: () => {
        calls++;
        return never();
      },
    });

    // Act
    const results = await op.process([1, 2, 3]);

    // Assess
    expect(calls).toBe(1);
    expect(results.map((r) => (r.ok ? 'ok' : r.failure.kind))).toEqual([
      'timeout',
      'timeout',
      'timeout',
    ]);
  });

  it('frees the slot of a timed-out call at once and aborts its signal', async () => {
    // Prepare: capacity 1; a call that never answers holds the slot until its deadline at 100 ms.
    // A second batch arrives at 50 ms with its own deadline at 150 ms.
    let hungSignal: AbortSignal | undefined;
    const op = operator<string, string>({
      capacity: 1,
      timeoutMs: 100,
      call: (item, signal) => {
        if (item === 'hangs') {
          hungSignal = signal;
          return never();
        }
        return Promise.resolve(`${item} done`);
      },
    });

    // Act
    const first = op.process(['hangs']);
    await sleep(50);
    const second = op.process(['next']);
    const [hung, next] = await Promise.all([first, second]);

    // Assess: the second batch ran in the freed slot, long before its own deadline
    expect(hung).toEqual([{ item: 'hangs', ok: false, failure: { kind: 'timeout' } }]);
    expect(next).toEqual([{ item: 'next', ok: true, value: 'next done', fallback: false }]);
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
    const emitted: AsyncResult<string, string>[] = [];
    const op = operator<string, string>({
      timeoutMs: 30,
      call: async () => {
        await sleep(60);
        return 'too late';
      },
    });

    // Act
    const results = await op.process(['x'], (r) => emitted.push(r));
    await sleep(60);

    // Assess
    expect(results).toEqual([{ item: 'x', ok: false, failure: { kind: 'timeout' } }]);
    expect(emitted).toEqual(results);
  });

  it('emits in input order in ordered mode even when calls complete in reverse', async () => {
    // Prepare: item i takes (10 - i) * 3 ms, so the last item completes first
    const completed: number[] = [];
    const emitted: number[] = [];
    const op = operator<number, number>({
      capacity: 10,
      mode: 'ordered',
      call: async (i) => {
        await sleep((10 - i) * 3);
        completed.push(i);
        return i;
      },
    });

    // Act
    await op.process(range(10), (r) => emitted.push(r.item));

    // Assess
    expect(completed).not.toEqual(range(10));
    expect(emitted).toEqual(range(10));
  });

  it('orders each batch on its own in ordered mode, so a slow batch does not hold back another', async () => {
    // Prepare: the first batch is slower than the second
    const emitted: string[] = [];
    const op = operator<string, string>({
      capacity: 10,
      mode: 'ordered',
      call: async (item) => {
        await sleep(item === 'a1' ? 40 : 1);
        return item;
      },
    });

    // Act
    await Promise.all([
      op.process(['a1', 'a2'], (r) => emitted.push(r.item)),
      op.process(['b1', 'b2'], (r) => emitted.push(r.item)),
    ]);

    // Assess
    expect(emitted).toEqual(['b1', 'b2', 'a1', 'a2']);
  });

  it('emits as calls complete in unordered mode', async () => {
    // Prepare
    const completed: number[] = [];
    const emitted: number[] = [];
    const op = operator<number, number>({
      capacity: 10,
      mode: 'unordered',
      call: async (i) => {
        await sleep((10 - i) * 3);
        completed.push(i);
        return i;
      },
    });

    // Act
    const results = await op.process(range(10), (r) => emitted.push(r.item));

    // Assess
    expect(emitted).toEqual(completed);
    expect(emitted).not.toEqual(range(10));
    expect(results.map((r) => r.item)).toEqual(range(10));
  });

  it('keeps each key in order in per-key mode while other keys go on', async () => {
    // Prepare: device "slow" takes 250 ms a call, device "fast" 1 ms; inputs interleaved (wide
    // margins: the six fast calls in a row must end before one slow call, even on a loaded machine)
    const probe = concurrencyProbe();
    const emitted: string[] = [];
    const items = [
      'slow-1',
      'fast-1',
      'slow-2',
      'fast-2',
      'fast-3',
      'slow-3',
      'fast-4',
      'fast-5',
      'fast-6',
    ];
    const keyOf = (item: string): string => item.split('-')[0]!;
    const op = operator<string, string>({
      capacity: 4,
      timeoutMs: 5_000,
      mode: 'per-key',
      keyOf,
      call: (item) =>
        probe.around(keyOf(item), async () => {
          await sleep(keyOf(item) === 'slow' ? 250 : 1);
          return item;
        }),
    });

    // Act
    const results = await op.process(items, (r) => emitted.push(r.item));

    // Assess
    expect(probe.maxPerKey).toBe(1);
    expect(emitted.filter((i) => i.startsWith('slow'))).toEqual(['slow-1', 'slow-2', 'slow-3']);
    expect(emitted.filter((i) => i.startsWith('fast'))).toEqual([
      'fast-1',
      'fast-2',
      'fast-3',
      'fast-4',
      'fast-5',
      'fast-6',
    ]);
    // the whole fast key finished before the slow key's first call did
    expect(emitted.indexOf('fast-6')).toBeLessThan(emitted.indexOf('slow-1'));
    expect(results.map((r) => r.item)).toEqual(items);
  });

  it('keeps a key in order across overlapping batches in per-key mode', async () => {
    // Prepare
    const probe = concurrencyProbe();
    const emitted: string[] = [];
    const op = operator<string, string>({
      capacity: 8,
      mode: 'per-key',
      keyOf: (item) => item[0]!,
      call: (item) =>
        probe.around(item[0]!, async () => {
          await sleep(item === 'a1' ? 30 : 1);
          return item;
        }),
    });

    // Act
    await Promise.all([
      op.process(['a1', 'b1'], (r) => emitted.push(r.item)),
      op.process(['a2', 'b2'], (r) => emitted.push(r.item)),
    ]);

    // Assess
    expect(probe.maxPerKey).toBe(1);
    expect(emitted.filter((i) => i[0] === 'a')).toEqual(['a1', 'a2']);
    expect(emitted.indexOf('b2')).toBeLessThan(emitted.indexOf('a1'));
  });

  it('times out a per-key item waiting behind its own key, then lets the key go on', async () => {
    // Prepare
    const op = operator<string, string>({
      capacity: 4,
      timeoutMs: 50,
      mode: 'per-key',
      keyOf: (item) => item[0]!,
      call: (item) => (item === 'a1' ? never() : Promise.resolve(item)),
    });

    // Act
    const first = await op.process(['a1', 'a2', 'b1']);
    const later = await op.process(['a3']);

    // Assess
    expect(first.map((r) => (r.ok ? 'ok' : r.failure.kind))).toEqual(['timeout', 'timeout', 'ok']);
    expect(later).toEqual([{ item: 'a3', ok: true, value: 'a3', fallback: false }]);
  });

  it('retries a retryable error with backoff and succeeds within the deadline', async () => {
    // Prepare
    let calls = 0;
    let retries = 0;
    const op = operator<string, string>({
      retry: { attempts: 5, baseMs: 1, maxMs: 5, isRetryable },
      call: async (item) => {
        calls++;
        if (calls < 3) throw new RetryableError('busy');
        return `${item} done`;
      },
      hooks: { onRetry: () => retries++ },
    });

    // Act
    const results = await op.process(['x']);

    // Assess
    expect(results).toEqual([{ item: 'x', ok: true, value: 'x done', fallback: false }]);
    expect(calls).toBe(3);
    expect(retries).toBe(2);
  });

  it('fails a non-retryable error at once, with its error and one attempt', async () => {
    // Prepare
    const error = new Error('bad input');
    let calls = 0;
    const op = operator<string, string>({
      retry: { attempts: 5, baseMs: 1, maxMs: 5, isRetryable },
      call: () => {
        calls++;
        return Promise.reject(error);
      },
    });

    // Act
    const results = await op.process(['x']);

    // Assess
    expect(results).toEqual([
      { item: 'x', ok: false, failure: { kind: 'error', error, attempts: 1 } },
    ]);
    expect(calls).toBe(1);
  });

  it('gives up after retry.attempts calls with the last error', async () => {
    // Prepare
    let calls = 0;
    const op = operator<string, string>({
      retry: { attempts: 3, baseMs: 1, maxMs: 2, isRetryable },
      call: () => Promise.reject(new RetryableError(`busy ${++calls}`)),
    });

    // Act
    const [result] = await op.process(['x']);

    // Assess
    expect(calls).toBe(3);
    expect(result).toMatchObject({
      ok: false,
      failure: { kind: 'error', attempts: 3, error: { message: 'busy 3' } },
    });
  });

  it('does not retry when the backoff would end after the deadline', async () => {
    // Prepare: a backoff of 0.99 * 10 s against a 200 ms deadline
    let retries = 0;
    const error = new RetryableError('busy');
    const op = operator<string, string>({
      timeoutMs: 200,
      retry: { attempts: 5, baseMs: 10_000, maxMs: 10_000, isRetryable, random: () => 0.99 },
      call: () => Promise.reject(error),
      hooks: { onRetry: () => retries++ },
    });

    // Act
    const results = await op.process(['x']);

    // Assess
    expect(results).toEqual([
      { item: 'x', ok: false, failure: { kind: 'error', error, attempts: 1 } },
    ]);
    expect(retries).toBe(0);
  });

  it('times out a retried call at the deadline of its item and frees its slot', async () => {
    // Prepare: a 300 ms deadline and a first backoff of 40 ms; the second call takes far longer
    // (margins wide enough for a loaded machine's late timers)
    let calls = 0;
    const op = operator<string, string>({
      timeoutMs: 300,
      retry: { attempts: 5, baseMs: 80, maxMs: 80, isRetryable, random: () => 0.5 },
      call: async () => {
        calls++;
        if (calls === 1) throw new RetryableError('busy');
        await sleep(3_000);
        return 'late';
      },
    });

    // Act
    const results = await op.process(['x']);
    await sleep(20);

    // Assess
    expect(results).toEqual([{ item: 'x', ok: false, failure: { kind: 'timeout' } }]);
    expect(calls).toBe(2);
    expect(op.inFlight).toBe(0);
  });

  it('treats a call that throws synchronously as a failed call', async () => {
    // Prepare
    const error = new Error('sync');
    const op = operator<string, string>({
      call: () => {
        throw error;
      },
    });

    // Act
    const results = await op.process(['x']);

    // Assess
    expect(results).toEqual([
      { item: 'x', ok: false, failure: { kind: 'error', error, attempts: 1 } },
    ]);
  });

  it('answers with the declared fallback on final failure and on timeout', async () => {
    // Prepare
    const reasons: AsyncFailure[] = [];
    const error = new Error('lookup failed');
    const op = operator<string, string>({
      timeoutMs: 50,
      call: (item) => (item === 'hangs' ? never() : Promise.reject(error)),
      fallback: (item, reason) => {
        reasons.push(reason);
        return `${item}: unknown asset`;
      },
    });

    // Act
    const results = await op.process(['fails', 'hangs']);

    // Assess
    expect(results).toEqual([
      { item: 'fails', ok: true, value: 'fails: unknown asset', fallback: true },
      { item: 'hangs', ok: true, value: 'hangs: unknown asset', fallback: true },
    ]);
    expect(reasons).toEqual([{ kind: 'error', error, attempts: 1 }, { kind: 'timeout' }]);
  });

  it('answers with the failure when the fallback itself throws', async () => {
    // Prepare
    const error = new Error('lookup failed');
    const op = operator<string, string>({
      call: () => Promise.reject(error),
      fallback: () => {
        throw new Error('fallback bug');
      },
    });

    // Act
    const results = await op.process(['x']);

    // Assess
    expect(results).toEqual([
      { item: 'x', ok: false, failure: { kind: 'error', error, attempts: 1 } },
    ]);
  });

  it('processes every item when onResult throws, then rejects with the first such error', async () => {
    // Prepare
    let calls = 0;
    const op = operator<number, number>({
      call: async (i) => {
        calls++;
        return i;
      },
    });
    const boom = new Error('callback bug');

    // Act
    const outcome = await op
      .process([1, 2, 3], (r) => {
        if (r.item >= 2) throw boom;
      })
      .catch((err: unknown) => err);

    // Assess
    expect(outcome).toBe(boom);
    expect(calls).toBe(3);
    expect(op.inFlight).toBe(0);
  });

  it('rejects a batch whose keyOf throws without queueing any of it', async () => {
    // Prepare
    const failure = new Error('no device id');
    let calls = 0;
    const op = operator<string, string>({
      mode: 'per-key',
      keyOf: (item) => {
        if (item === 'bad') throw failure;
        return item;
      },
      call: async (item) => {
        calls++;
        return item;
      },
    });

    // Act
    const outcome = await op.process(['good', 'bad']).catch((err: unknown) => err);
    const after = await op.process(['good']);

    // Assess
    expect(outcome).toBe(failure);
    expect(calls).toBe(1);
    expect(after).toEqual([{ item: 'good', ok: true, value: 'good', fallback: false }]);
  });

  it('resolves an empty batch with no results', async () => {
    // Prepare
    const op = operator<string, string>({ call: async (item) => item });

    // Act
    const results = await op.process([]);

    // Assess
    expect(results).toEqual([]);
  });

  it('reports timeouts and a duration for every item through its hooks', async () => {
    // Prepare
    let timeouts = 0;
    const durations: number[] = [];
    const op = operator<number, number>({
      timeoutMs: 40,
      call: (i) => (i % 2 === 0 ? never() : Promise.resolve(i)),
      hooks: { onTimeout: () => timeouts++, onDuration: (ms) => durations.push(ms) },
    });

    // Act
    await op.process(range(6));

    // Assess
    expect(timeouts).toBe(3);
    expect(durations).toHaveLength(6);
    expect(durations.every((ms) => ms >= 0)).toBe(true);
  });

  it('leaves no timer behind once every batch is answered', async () => {
    // Prepare
    const timersBefore = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const op = operator<number, number>({ timeoutMs: 60_000, call: async (i) => i });

    // Act
    await op.process(range(5));
    await op.process(range(5));

    // Assess
    const timersAfter = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    expect(timersAfter).toBe(timersBefore);
  });

  it.each([
    { opts: { capacity: 0 }, option: 'capacity' },
    { opts: { capacity: 2.5 }, option: 'capacity' },
    { opts: { timeoutMs: 0 }, option: 'timeoutMs' },
    { opts: { mode: 'random' as AsyncMode }, option: 'mode' },
    { opts: { mode: 'per-key' as AsyncMode }, option: 'keyOf' },
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
      operator<string, string>({ call: async (item) => item, ...opts });
    } catch (err) {
      thrown = err;
    }

    // Assess
    expect(thrown).toBeInstanceOf(InvalidOptionError);
    expect(thrown).toMatchObject({ code: 'STREAM_INVALID_OPTION', option });
  });

  it('gives every item exactly one result, whatever its calls do (property)', async () => {
    type Behaviour = {
      kind: 'ok' | 'fail' | 'flaky' | 'hang' | 'throw';
      delayMs: number;
      key: number;
    };
    const behaviourArb = fc.record({
      kind: fc.constantFrom<Behaviour['kind']>('ok', 'fail', 'flaky', 'hang', 'throw'),
      delayMs: fc.integer({ min: 0, max: 4 }),
      key: fc.integer({ min: 0, max: 3 }),
    });

    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<AsyncMode>('ordered', 'unordered', 'per-key'),
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.array(behaviourArb, { maxLength: 12 }), { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        async (mode, capacity, batches, withFallback) => {
          // Prepare
          const attempts = new Map<Behaviour, number>();
          let maxInflight = 0;
          const op = new AsyncOperator<Behaviour, string>({
            capacity,
            timeoutMs: 30,
            mode,
            keyOf: (b) => String(b.key),
            retry: { attempts: 3, baseMs: 1, maxMs: 3, isRetryable },
            ...(withFallback ? { fallback: () => 'fallback' } : {}),
            hooks: { onInflight: (n) => (maxInflight = Math.max(maxInflight, n)) },
            call: async (b) => {
              const n = (attempts.get(b) ?? 0) + 1;
              attempts.set(b, n);
              if (b.kind === 'throw') throw new Error('sync');
              if (b.kind === 'hang') return never<string>();
              await sleep(b.delayMs);
              if (b.kind === 'fail') throw new Error('bad');
              if (b.kind === 'flaky' && n < 2) throw new RetryableError('busy');
              return 'value';
            },
          });
          const emitted = batches.map(() => [] as Behaviour[]);

          // Act
          const results = await Promise.all(
            batches.map((items, i) => op.process(items, (r) => emitted[i]!.push(r.item))),
          );

          // Assess: one result per item, in input order, emitted exactly once
          batches.forEach((items, i) => {
            expect(results[i]!.map((r) => r.item)).toEqual(items);
            expect(emitted[i]!).toHaveLength(items.length);
            expect(new Set(emitted[i]!).size).toBe(items.length);
            if (mode === 'ordered') expect(emitted[i]!).toEqual(items);
            if (mode === 'per-key') {
              for (const key of [0, 1, 2, 3]) {
                expect(emitted[i]!.filter((b) => b.key === key)).toEqual(
                  items.filter((b) => b.key === key),
                );
              }
            }
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
      { numRuns: 40 },
    );
  });
});
