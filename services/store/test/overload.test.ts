// @servers cassandra
import cassandra from 'cassandra-driver';
import { AdaptiveConcurrency, CqlWriter, isFatal, isOverload, isRetryable, StreamError, type CqlClient } from '@fleetstream/stream';
import { PositionWriter } from '../src/position-writer.ts';
import { decodeStoredEvent } from '../src/event.ts';
import { enrichedEvent, testEventId } from './helpers/cluster.ts';

const { ResponseError, NoHostAvailableError, OperationTimedOutError, ArgumentError, AuthenticationError } = cassandra.errors;
const writeTimeout = () => new ResponseError(0x1100, 'Operation timed out - received only 0 responses.');

// libs/stream's one classification, on the real driver's error classes.
describe('isOverload / isRetryable / isFatal on cassandra-driver errors', () => {
  test.each([
    ['unavailable (0x1000)', new ResponseError(0x1000, 'Cannot achieve consistency level'), [true, true, false]],
    ['overloaded (0x1001)', new ResponseError(0x1001, 'overloaded'), [true, true, false]],
    ['bootstrapping (0x1002)', new ResponseError(0x1002, 'bootstrapping'), [true, true, false]],
    ['write timeout (0x1100)', writeTimeout(), [true, true, false]],
    ['read timeout (0x1200)', new ResponseError(0x1200, 'read timeout'), [true, true, false]],
    ['no host available', new NoHostAvailableError({}), [true, true, false]],
    ['client-side timeout', new OperationTimedOutError('timed out', '127.0.0.1:9042'), [true, true, false]],
    ['STREAM_SINK_OVERLOADED', new StreamError('STREAM_SINK_OVERLOADED', 'slow down', { retryable: true }), [true, true, false]],
    ['a bad value (0x2200)', new ResponseError(0x2200, 'Invalid INTEGER constant (x) for "speed" of type int'), [false, false, false]],
    ['a missing table (0x2200, Cassandra 5)', new ResponseError(0x2200, 'table positions_by_device_day does not exist'), [false, false, true]],
    ['a missing table (0x2200, Cassandra 4)', new ResponseError(0x2200, 'unconfigured table positions_by_device_day'), [false, false, true]],
    ['a missing keyspace (0x2200)', new ResponseError(0x2200, "Keyspace 'nope' does not exist"), [false, false, true]],
    ['a missing column (0x2200)', new ResponseError(0x2200, 'Undefined column name speed'), [false, false, true]],
    ['bad credentials (0x0100)', new ResponseError(0x0100, 'Provided username and/or password are incorrect'), [false, false, true]],
    ['unauthorized (0x2100)', new ResponseError(0x2100, 'User has no MODIFY permission'), [false, false, true]],
    ['no host: every host refused the credentials', new NoHostAvailableError({ '127.0.0.1:9042': new AuthenticationError('bad credentials') }), [false, false, true]],
    ['server error (0x0000)', new ResponseError(0x0000, 'java.lang.RuntimeException'), [false, true, false]],
    ['write failure (0x1500)', new ResponseError(0x1500, 'Operation failed - received 0 responses and 1 failures'), [false, true, false]],
    ['a driver transport error', Object.assign(new Error('Socket was closed'), { name: 'DriverError' }), [false, true, false]],
    ['syntax error (0x2000)', new ResponseError(0x2000, 'line 1:0 no viable alternative'), [false, false, false]],
    ['a bad argument', new ArgumentError('bad'), [false, false, false]],
    ['a TypeError', new TypeError('x is undefined'), [false, false, false]],
    ['not an error', 'boom', [false, false, false]],
  ])('%s -> overload, retryable, fatal = %j', (_name, err, expected) => {
    expect([isOverload(err), isRetryable(err), isFatal(err)]).toEqual(expected);
  });
});

describe('CqlWriter: the Cassandra sink\'s one retry loop', () => {
  test('retries an overloaded call with backoff until it succeeds and lowers the concurrency limit', async () => {
    // Prepare
    const concurrency = new AdaptiveConcurrency({ min: 1, max: 64, initial: 16 });
    const limits: number[] = [];
    concurrency.onChange = (l) => limits.push(l);
    let calls = 0;
    const delays: number[] = [];
    const overloads: number[] = [];

    const client: CqlClient = {
      execute: async () => {
        calls++;
        if (calls <= 3) throw writeTimeout();
      },
      batch: async () => undefined,
    };
    const writer = new CqlWriter({ client, concurrency, sleep: async (ms) => void delays.push(ms), onRetry: (_e, attempt) => overloads.push(attempt), backoff: { baseMs: 10, maxMs: 100 } });

    // Act
    await writer.write([{ statement: { query: 'INSERT', params: [] }, rows: 1 }]);

    // Assess
    expect(calls).toBe(4);
    expect(overloads).toEqual([1, 2, 3]);
    expect(delays).toHaveLength(3);
    expect(delays.every((d, i) => d >= 0 && d < 10 * 2 ** i)).toBe(true);
    expect(limits).toEqual([8, 4, 2]);
    expect(concurrency.inFlight).toBe(0);
  });

  test('rethrows a non-retryable error at once, without retrying', async () => {
    // Prepare
    const concurrency = new AdaptiveConcurrency({ min: 1, max: 4 });
    let calls = 0;

    // Act
    const client: CqlClient = {
      execute: async () => {
        calls++;
        throw new ResponseError(0x2200, 'Undefined column name');
      },
      batch: async () => undefined,
    };
    const outcome = new CqlWriter({ client, concurrency, sleep: async () => undefined }).write([{ statement: { query: 'INSERT', params: [] }, rows: 1 }]);

    // Assess
    await expect(outcome).rejects.toMatchObject({ code: 0x2200 });
    expect(calls).toBe(1);
    expect(concurrency.inFlight).toBe(0);
  });

  test('stops retrying when the signal is aborted and rethrows the overload error', async () => {
    // Prepare
    const concurrency = new AdaptiveConcurrency({ min: 1, max: 4 });
    const abort = new AbortController();
    abort.abort();

    // Act
    const client: CqlClient = { execute: async () => Promise.reject(new NoHostAvailableError({})), batch: async () => undefined };
    const outcome = new CqlWriter({ client, concurrency, sleep: async () => undefined }).write([{ statement: { query: 'INSERT', params: [] }, rows: 1 }], abort.signal);

    // Assess
    await expect(outcome).rejects.toBeInstanceOf(NoHostAvailableError);
  });
});

/** A CqlClient that records calls and fails the first `failFirst` of them with a write timeout. */
function fakeSink(failFirst: number) {
  const writes: { query: string; params: unknown[] }[][] = [];
  let n = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const call = async (stmts: { query: string; params: unknown[] }[]) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((r) => setTimeout(r, 1));
    inFlight--;
    if (n++ < failFirst) throw writeTimeout();
    writes.push(stmts);
  };
  const sink: CqlClient = {
    execute: (query, params) => call([{ query, params }]),
    batch: (queries) => call(queries),
  };
  return { sink, writes, maxInFlight: () => maxInFlight };
}

describe('PositionWriter (fake sink)', () => {
  const day1 = Date.UTC(2024, 4, 1, 10);
  const day2 = Date.UTC(2024, 4, 2, 10);
  const events = [
    ...Array.from({ length: 40 }, (_, i) => enrichedEvent('dev-a', day1 + i * 1000, i)),
    ...Array.from({ length: 5 }, (_, i) => enrichedEvent('dev-a', day2 + i * 1000, 100 + i)),
    ...Array.from({ length: 3 }, (_, i) => enrichedEvent('dev-b', day1 + i * 1000, 200 + i)),
  ].map((e) => decodeStoredEvent(Buffer.from(JSON.stringify(e))));

  test('a device with more statements than a batch holds gets unlogged batches of its own (positions, then its days, then its newest state with the event time in µs), at most 16 statements each', async () => {
    // Prepare
    const { sink, writes } = fakeSink(0);
    const writer = new PositionWriter({ sink, keyspace: 'ks', concurrency: new AdaptiveConcurrency({ min: 1, max: 8 }), maxBatchRows: 16 });

    // Act
    await writer.write([...events].reverse());

    // Assess
    for (const w of writes) expect(new Set(w.map((s) => String(s.params[0]))).size).toBe(1);
    const table = (s: { query: string }) => /INTO ks\.(\w+)/.exec(s.query)![1];
    const shapes = writes.map((w) => `${String(w[0]!.params[0])}: ${w.map(table).join(',')}`).sort();
    const positions16 = Array.from({ length: 16 }, () => 'positions_by_device_day').join(',');
    const positions13 = Array.from({ length: 13 }, () => 'positions_by_device_day').join(',');
    const positions3 = Array.from({ length: 3 }, () => 'positions_by_device_day').join(',');
    expect(shapes).toEqual([`dev-a: ${positions13},device_days,device_days,asset_latest_state`, `dev-a: ${positions16}`, `dev-a: ${positions16}`, `dev-b: ${positions3},device_days,asset_latest_state`].sort());
    const all = writes.flat();
    expect(all.filter((s) => table(s) === 'positions_by_device_day')).toHaveLength(48);
    // A device's positions are ordered by day, so the cut batches hold one day each where they can.
    const aPositions = all.filter((s) => table(s) === 'positions_by_device_day' && s.params[0] === 'dev-a').map((s) => String(s.params[1]));
    expect(aPositions).toEqual([...Array.from({ length: 40 }, () => '2024-05-01'), ...Array.from({ length: 5 }, () => '2024-05-02')]);
    const days = all.filter((s) => table(s) === 'device_days').map((s) => s.params);
    expect(days.sort()).toEqual([['dev-a', '2024-05-01'], ['dev-a', '2024-05-02'], ['dev-b', '2024-05-01']]);
    const latest = all.filter((s) => table(s) === 'asset_latest_state');
    expect(latest.every((s) => s.query.endsWith('USING TIMESTAMP ?'))).toBe(true);
    const byDevice = new Map(latest.map((s) => [s.params[0], { eventId: s.params[2], ts: String(s.params[s.params.length - 1]) }]));
    expect(byDevice.get('dev-a')).toEqual({ eventId: testEventId('dev-a', day2 + 4000, 104), ts: String((day2 + 4000) * 1000) });
    expect(byDevice.get('dev-b')).toEqual({ eventId: testEventId('dev-b', day1 + 2000, 202), ts: String((day1 + 2000) * 1000) });
  });

  test('counts only position rows as rows written, one call per 16 statements of a device', async () => {
    // Prepare
    const { sink, writes } = fakeSink(0);
    const rows: number[] = [];
    const writer = new PositionWriter({ sink, keyspace: 'ks', concurrency: new AdaptiveConcurrency({ min: 1, max: 8 }), maxBatchRows: 16, onWrite: (_s, n) => rows.push(n) });

    // Act
    await writer.write(events);

    // Assess
    expect(rows.reduce((a, b) => a + b, 0)).toBe(48);
    expect(writes).toHaveLength(4);
  });

  test('write timeouts lower the concurrency and are retried until every row is written, none lost', async () => {
    // Prepare
    const { sink, writes } = fakeSink(6);
    const concurrency = new AdaptiveConcurrency({ min: 1, max: 64, initial: 8 });
    const limits: number[] = [];
    concurrency.onChange = (l) => limits.push(l);
    let overloads = 0;
    const writer = new PositionWriter({ sink, keyspace: 'ks', concurrency, maxBatchRows: 4, backoff: { baseMs: 1, maxMs: 5 }, onRetry: () => overloads++ });

    // Act
    await writer.write(events);

    // Assess
    const ids = writes.flat().filter((s) => s.query.includes('positions_by_device_day')).map((s) => s.params[3]);
    expect(new Set(ids).size).toBe(48);
    expect(ids).toHaveLength(48);
    expect(overloads).toBe(6);
    expect(Math.min(...limits)).toBeLessThan(8);
  });

  test('a non-overload failure rejects the write (the consumer retries the chunk uncommitted)', async () => {
    // Prepare
    const refuse = async () => Promise.reject(new ResponseError(0x2200, 'Undefined column name'));
    const sink: CqlClient = { execute: refuse, batch: refuse };
    const writer = new PositionWriter({ sink, keyspace: 'ks', concurrency: new AdaptiveConcurrency({ min: 1, max: 8 }) });

    // Act
    const outcome = writer.write(events);

    // Assess
    await expect(outcome).rejects.toBeInstanceOf(AggregateError);
  });
});
