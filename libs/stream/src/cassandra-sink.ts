import { AdaptiveConcurrency, type AdaptiveConcurrencyOptions } from './adaptive-concurrency.ts';
import { backoffDelay } from './backoff.ts';
import type { ConsumerConfig } from './config.ts';
import { DlqWriter } from './dlq.ts';
import { isFatal, isOverload, isRetryable, StreamError } from './errors.ts';
import type { ServiceDeps } from './service-host.ts';
import type { Sink } from './sink.ts';
import { SpanKind, tracingEnabled, withSpan } from './tracing.ts';
import { TurnCoalescer } from './turn-coalescer.ts';

/** One CQL statement with its bound values. */
export interface CqlStatement {
  query: string;
  params: unknown[];
}

/** One call to Cassandra: a statement, or an unlogged batch (keep it to a few partitions); `rows` counts toward the rows-written metric. */
export type CqlCall = { statement: CqlStatement; rows: number } | { batch: CqlStatement[]; rows: number };

/** Options of a write (the subset of cassandra-driver's QueryOptions the sink sets). */
export interface CqlOptions {
  prepare?: boolean;
  isIdempotent?: boolean;
  logged?: boolean;
  readTimeout?: number;
}

/** The part of cassandra-driver's Client a sink uses (libs/stream does not depend on the driver). */
export interface CqlClient {
  execute(query: string, params: unknown[], options: CqlOptions): Promise<unknown>;
  batch(queries: CqlStatement[], options: CqlOptions): Promise<unknown>;
}

/** Options of {@link CqlWriter}. */
export interface CqlWriterOptions {
  client: CqlClient;
  concurrency: AdaptiveConcurrency;
  /** Backoff between attempts of a call that failed retryably; 50 ms .. 5 s by default. */
  backoff?: { baseMs: number; maxMs: number };
  /** Seconds of each call that succeeded, and its rows. */
  onWrite?: (seconds: number, rows: number) => void;
  /** Every retryable failure (metrics, logs). */
  onRetry?: (err: unknown, attempt: number) => void;
  sleep?: (ms: number) => Promise<void>;
}

const WRITE_OPTIONS: CqlOptions = { prepare: true, isIdempotent: true };
const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Runs CQL calls (prepared, idempotent) under the adaptive concurrency limit, each in the sink's
 * one retry loop: an overload lowers the limit (AIMD), any retryable error (errors.ts
 * `isRetryable`: overload, timeouts, unavailable, no host) is tried again after a jittered backoff
 * for as long as it takes, so a slow Cassandra slows the consumer instead of failing records. Any
 * other error is rethrown at once.
 */
export class CqlWriter {
  readonly #o: CqlWriterOptions;
  constructor(options: CqlWriterOptions) {
    this.#o = options;
  }

  /** Resolves when every call succeeded; rejects with the one error, or an AggregateError of several. */
  async write(calls: CqlCall[], signal?: AbortSignal): Promise<void> {
    // allSettled first: a failed call must not leave others running unobserved behind the rejection.
    const results = await Promise.allSettled(calls.map((call) => this.#run(call, signal)));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length === 1) throw failed[0]!.reason;
    if (failed.length > 1) {
      const reasons = [...new Set(failed.map((f) => (f.reason instanceof Error ? f.reason.message : String(f.reason))))];
      throw new AggregateError(failed.map((f) => f.reason as unknown), `${failed.length} Cassandra writes failed: ${reasons.slice(0, 3).join('; ')}`);
    }
  }

  async #run(call: CqlCall, signal: AbortSignal | undefined): Promise<void> {
    const { client, concurrency } = this.#o;
    const exec = async () => {
      const t0 = performance.now();
      if ('statement' in call) await client.execute(call.statement.query, call.statement.params, WRITE_OPTIONS);
      else await client.batch(call.batch, { ...WRITE_OPTIONS, logged: false });
      this.#o.onWrite?.((performance.now() - t0) / 1000, call.rows);
    };
    for (let attempt = 1; ; attempt++) {
      try {
        return await concurrency.run(exec, isOverload);
      } catch (err) {
        if (signal?.aborted || !isRetryable(err)) throw err;
        this.#o.onRetry?.(err, attempt);
        await (this.#o.sleep ?? defaultSleep)(backoffDelay(attempt, this.#o.backoff ?? { baseMs: 50, maxMs: 5_000 }));
      }
    }
  }
}

/** Options of {@link cassandraSink}. */
export interface CassandraSinkOptions<T> {
  client: CqlClient & { connect(): Promise<void>; shutdown(): Promise<void> };
  /** false when the caller owns the client (it is then not shut down on stop). Default true. */
  ownsClient?: boolean;
  /** The calls that write a chunk's outputs. */
  statements: (items: T[]) => CqlCall[];
  concurrency: AdaptiveConcurrencyOptions;
  backoff?: { baseMs: number; maxMs: number };
  onWrite?: CqlWriterOptions['onWrite'];
  onRetry?: CqlWriterOptions['onRetry'];
  /** Called with a chunk's outputs once they are written (e.g. end-to-end latency). */
  onWritten?: (items: T[]) => void;
  /** Names the write's client span (tracing on): `INSERT <table>`, db.namespace = keyspace. */
  span?: { keyspace: string; table: string };
}

/** How often readiness asks Cassandra `SELECT now()`. */
const CHECK_MS = 2_000;

/**
 * The Cassandra sink of a stage: a chunk's rows are written by a {@link CqlWriter} (prepared,
 * idempotent, adaptive concurrency, overload back-off; its one retry loop) and its dead letters go
 * to the DLQ (acks=all) at the same time. A write Cassandra refuses for good is a
 * STREAM_SINK_REFUSED, which the stage answers by writing the chunk row by row, so only the refused
 * rows reach the DLQ; a missing table or keyspace, or bad credentials, is fatal (`isFatal`) and
 * stops the service. Readiness `cassandra`: Cassandra answers `SELECT now()`.
 */
export function cassandraSink<T>(deps: Pick<ServiceDeps<ConsumerConfig>, 'kafka' | 'metrics' | 'config' | 'logger' | 'health'>, o: CassandraSinkOptions<T>): Sink<T> & { readonly concurrency: AdaptiveConcurrency } {
  const { metrics } = deps;
  const svc = metrics.service;
  const log = deps.logger.child({ component: 'cassandra-sink' });
  const concurrency = new AdaptiveConcurrency(o.concurrency);
  concurrency.onChange = (limit) => metrics.sinkConcurrency.set({ service: svc }, limit);
  metrics.sinkConcurrency.set({ service: svc }, concurrency.limit);
  const writer = new CqlWriter({ client: o.client, concurrency, backoff: o.backoff, onWrite: o.onWrite, onRetry: o.onRetry });
  const producer = deps.kafka.producer();
  const dlq = new DlqWriter(producer, metrics, { topic: deps.config.DLQ_TOPIC });
  let reachable = false;
  let timer: NodeJS.Timeout | undefined;
  const check = async () => {
    try {
      await o.client.execute('SELECT now() FROM system.local', [], { prepare: false, readTimeout: 1_500 });
      if (!reachable) log.info('Cassandra reachable');
      reachable = true;
    } catch (err) {
      if (reachable) log.warn({ err }, 'Cassandra not reachable');
      reachable = false;
    }
  };
  deps.health.setReadiness('cassandra', () => reachable);

  const spanName = `INSERT ${o.span?.table ?? 'cassandra'}`;
  const writeCalls = (calls: CqlCall[], signal: AbortSignal | undefined) => {
    if (!tracingEnabled()) return writer.write(calls, signal);
    // A child of the chunk's span (the active context): one span for the chunk's write, retries included.
    const attributes = { 'db.system': 'cassandra', 'db.system.name': 'cassandra', 'db.operation.name': 'INSERT', 'db.operation.batch.size': calls.length };
    if (o.span) Object.assign(attributes, { 'db.namespace': o.span.keyspace, 'db.collection.name': o.span.table });
    return withSpan(spanName, { kind: SpanKind.CLIENT, attributes }, () => writer.write(calls, signal));
  };
  // The partition chunks of one fetch write in one turn: their rows are packed into shared
  // batches (TurnCoalescer), one request for several chunks. A traced write stays per chunk, so
  // its span is its own chunk's.
  const rows = new TurnCoalescer<T>((items, signal) => writeCalls(o.statements(items), signal));
  const writeRows = async (items: T[], signal: AbortSignal) => {
    try {
      await (tracingEnabled() ? writeCalls(o.statements(items), signal) : rows.submit(items, signal));
    } catch (err) {
      if (signal.aborted || isRetryable(err) || isFatal(err)) throw err;
      throw new StreamError('STREAM_SINK_REFUSED', `Cassandra refused the write: ${(err as Error).message}`, { cause: err });
    }
  };

  return {
    concurrency,
    async start() {
      await o.client.connect();
      await check();
      timer = setInterval(() => void check(), CHECK_MS);
      timer.unref();
      await producer.connect();
    },
    async stop() {
      clearInterval(timer);
      await producer.disconnect();
      if (o.ownsClient !== false) await o.client.shutdown();
    },
    async write({ out, dead }, _records, ctx) {
      await Promise.all([writeRows(out, ctx.signal), dlq.send(dead)]);
      if (out.length > 0) {
        metrics.recordsOut.inc({ service: svc, topic: 'cassandra' }, out.length);
        o.onWritten?.(out);
      }
    },
  };
}
