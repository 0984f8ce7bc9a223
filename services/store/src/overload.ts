import { AdaptiveConcurrency, backoffDelay, StreamError } from '@fleetstream/stream';

/** Cassandra response codes that mean "the cluster cannot take this now", not "this write is wrong". */
const OVERLOAD_RESPONSE_CODES: ReadonlySet<number> = new Set([
  0x1000, // unavailable: not enough replicas alive for the consistency level
  0x1001, // overloaded
  0x1002, // is bootstrapping
  0x1100, // write timeout
  0x1200, // read timeout
]);

/** Driver-side errors of the same kind: no node reachable, a client timeout, all connections busy. */
const OVERLOAD_ERROR_NAMES: ReadonlySet<string> = new Set(['NoHostAvailableError', 'OperationTimedOutError', 'BusyConnectionError']);

/**
 * True for errors that say the sink is overloaded or unreachable (write timeouts, overloaded,
 * unavailable, no host available, client timeouts): the write is lowered in concurrency and retried,
 * never dropped. Works by name and code, so it holds for any cassandra-driver instance and for fakes.
 */
export function isOverloadError(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { name?: unknown; code?: unknown };
  if (err instanceof StreamError) return err.code === 'SINK_OVERLOADED';
  if (e.name === 'ResponseError' && typeof e.code === 'number') return OVERLOAD_RESPONSE_CODES.has(e.code);
  return typeof e.name === 'string' && OVERLOAD_ERROR_NAMES.has(e.name);
}

/** Options of {@link runWithOverloadRetry}. */
export interface OverloadRetryOptions {
  concurrency: AdaptiveConcurrency;
  /** Backoff between attempts after an overload error; 50 ms .. 5 s by default. */
  backoff?: { baseMs: number; maxMs: number };
  /** Stop retrying when aborted (the service stops or the partition was revoked): the error is rethrown. */
  signal?: AbortSignal;
  /** Called on every overload error (metrics, logs). */
  onOverload?: (err: unknown, attempt: number) => void;
  isOverload?: (err: unknown) => boolean;
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Runs one sink call under the adaptive concurrency limit. An overload error lowers the limit
 * (AIMD, inside `concurrency.run`) and the call is tried again after a jittered backoff, for as
 * long as it takes: a slow Cassandra slows the consumer instead of failing records. Any other
 * error is rethrown at once (the consumer retries the whole chunk, uncommitted).
 */
export async function runWithOverloadRetry<T>(fn: () => Promise<T>, o: OverloadRetryOptions): Promise<T> {
  const isOverload = o.isOverload ?? isOverloadError;
  const backoff = o.backoff ?? { baseMs: 50, maxMs: 5_000 };
  const sleep = o.sleep ?? defaultSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await o.concurrency.run(fn, isOverload);
    } catch (err) {
      if (!isOverload(err)) throw err;
      o.onOverload?.(err, attempt);
      if (o.signal?.aborted) throw err;
      await sleep(backoffDelay(attempt, backoff));
    }
  }
}
