import { backoffDelay, copyTraceHeaders, errorClass, FleetstreamError, isFatal, kafkaSink, SpanKind, TokenBucket, withSpan, type Headers, type OutboundRecord, type ServiceDeps, type Sink } from '@fleetstream/stream';
import { checkpointRecord, readCheckpoint } from './checkpoint.ts';
import type { SqlSourceConfig } from './config.ts';
import type { Dialect, SourceRow } from './dialect.ts';
import { SqlSourceError } from './errors.ts';
import { createSqlSourceMetrics } from './metrics.ts';
import { lagSeconds, type Position } from './position.ts';

/** Header carrying the position of the row itself, as JSON. */
export const POSITION_HEADER = 'source.position';

/** A row's position in the configured mode. */
export function rowPosition(mode: Position['mode'], row: SourceRow): Position {
  return { mode, order: row.order, id: row.id, ts: row.ts };
}

/**
 * The source's loop: poll the table after the position, emit the rows and the new position in
 * one Kafka transaction (libs/stream's transactional Kafka sink), repeat. Its one retry loop: any
 * failure is retried with backoff after fencing (a new transactional producer) and re-reading the
 * position from the checkpoint topic, since the commit may or may not have landed; a fatal error
 * (errors.ts `isFatal`) or one of ours that says no retry helps (a checkpoint of another mode)
 * stops the service through `deps.fail`.
 */
export class SqlPoller {
  readonly #deps: ServiceDeps<SqlSourceConfig>;
  readonly #dialect: Dialect;
  readonly #admin: ReturnType<ServiceDeps['kafka']['admin']>;
  readonly #m: ReturnType<typeof createSqlSourceMetrics>;
  readonly #bucket: TokenBucket;
  #fromStart: boolean;
  #sink: Sink<OutboundRecord> | undefined;
  #position: Position | null = null;
  #synced = false;
  #running = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  /** False after a failed step, until a poll succeeds (readiness `source`). */
  healthy = false;

  constructor(deps: ServiceDeps<SqlSourceConfig>, o: { dialect: Dialect; admin: ReturnType<ServiceDeps['kafka']['admin']>; fromStart: boolean }) {
    this.#deps = deps;
    this.#dialect = o.dialect;
    this.#admin = o.admin;
    this.#fromStart = o.fromStart;
    this.#m = createSqlSourceMetrics(deps.registry);
    this.#bucket = new TokenBucket({ ratePerSec: deps.config.MAX_ROWS_PER_SEC });
  }

  start(): void {
    this.#running = true;
    this.#loop = this.#run();
  }

  /** Stops polling; waits for the step in flight until the deadline; closes the producer. */
  async stop(deadlineMs: number): Promise<void> {
    this.#running = false;
    this.#wake?.();
    let timer: NodeJS.Timeout | undefined;
    if (this.#loop) await Promise.race([this.#loop, new Promise((r) => (timer = setTimeout(r, deadlineMs)))]);
    clearTimeout(timer);
    await this.#sink?.stop().catch(() => undefined);
  }

  #sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.#wake = undefined;
        resolve();
      };
      const t = setTimeout(done, ms);
      this.#wake = done;
    });
  }

  /** (Re)creates the transactional producer — fencing any zombie — and loads the position. */
  async #sync(): Promise<void> {
    const { config, kafka } = this.#deps;
    const log = this.#deps.logger.child({ component: 'sql-source' });
    await this.#sink?.stop().catch(() => undefined);
    this.#sink = kafkaSink(this.#deps, { exactlyOnce: { transactionalId: `sql-source-${config.SOURCE_NAME}` } });
    await this.#sink.start();
    if (this.#fromStart) {
      this.#position = null;
      log.info('starting from the beginning of the table (--from-start)');
    } else {
      this.#position = await readCheckpoint(kafka, this.#admin, { topic: config.CHECKPOINT_TOPIC, sourceName: config.SOURCE_NAME, idleMs: config.CHECKPOINT_READ_IDLE_MS, logger: log });
      if (this.#position && this.#position.mode !== config.SQL_MODE) {
        throw new SqlSourceError('SQL_SOURCE_POSITION_MODE_MISMATCH', `checkpoint of ${config.SOURCE_NAME} is in mode ${this.#position.mode}, configured ${config.SQL_MODE}`);
      }
      log.info({ position: this.#position }, 'resuming from checkpoint');
    }
    this.#synced = true;
  }

  async #emit(rows: SourceRow[], trace: Headers): Promise<Position> {
    const { config, name } = this.#deps;
    const records: OutboundRecord[] = [];
    let tombstones = 0;
    for (const row of rows) {
      if (row.deleted) tombstones++;
      const headers = copyTraceHeaders(trace, { [POSITION_HEADER]: JSON.stringify(rowPosition(config.SQL_MODE, row)) });
      records.push({ topic: config.OUTPUT_TOPIC, key: row.key, value: row.deleted ? null : row.json, headers });
    }
    const last = rowPosition(config.SQL_MODE, rows[rows.length - 1]!);
    records.push(checkpointRecord(config.CHECKPOINT_TOPIC, config.SOURCE_NAME, last));
    try {
      // No input records: the transaction carries the rows and the checkpoint, no consumer offsets.
      await this.#sink!.write({ out: records, dead: [] }, [], { groupId: '', signal: new AbortController().signal });
    } catch (err) {
      throw new SqlSourceError('SQL_SOURCE_EMIT_FAILED', `emitting ${rows.length} rows failed: ${(err as Error).message}`, { retryable: true, cause: err });
    }
    this.#m.rows.inc({ service: name, kind: 'row' }, rows.length - tombstones);
    if (tombstones > 0) this.#m.rows.inc({ service: name, kind: 'tombstone' }, tombstones);
    return last;
  }

  /** One poll and the emit of its rows: the number of rows, undefined when stopped while throttled. */
  async #step(trace: Headers): Promise<number | undefined> {
    const { config, name } = this.#deps;
    const rows = await this.#dialect.poll(this.#position, config.BATCH_ROWS);
    this.#m.polls.inc({ service: name });
    this.healthy = true;
    if (rows.length > 0) {
      for (let wait = this.#bucket.tryTake(rows.length); wait > 0 && this.#running; wait = this.#bucket.tryTake(rows.length)) await this.#sleep(wait);
      if (!this.#running) return undefined;
      try {
        this.#position = await this.#emit(rows, trace);
      } catch (err) {
        this.#synced = false; // the commit may or may not have landed: fence and re-read the checkpoint
        throw err;
      }
      this.#fromStart = false; // the first batch wrote a checkpoint: a re-sync resumes from it
    }
    return rows.length;
  }

  async #run(): Promise<void> {
    const { config, name } = this.#deps;
    const log = this.#deps.logger.child({ component: 'sql-source' });
    let attempt = 0;
    while (this.#running) {
      try {
        if (!this.#synced) await this.#sync();
        // One span per poll (tracing on); the rows it emits carry its context.
        const n = await withSpan(`poll ${config.SOURCE_NAME}`, { kind: SpanKind.PRODUCER, attributes: { 'messaging.system': 'kafka', 'messaging.destination.name': config.OUTPUT_TOPIC, 'fleetstream.source.name': config.SOURCE_NAME } }, (trace) => this.#step(trace));
        if (n === undefined) break;
        this.#m.lag.set({ service: name }, lagSeconds(this.#position?.ts ?? null, Date.now()));
        attempt = 0;
        if (n < config.BATCH_ROWS && this.#running) await this.#sleep(config.POLL_INTERVAL_MS);
      } catch (err) {
        if (!this.#running) break;
        this.healthy = false;
        this.#m.errors.inc({ service: name, class: errorClass(err) });
        if (isFatal(err) || (err instanceof FleetstreamError && !err.retryable)) {
          this.#running = false;
          this.#deps.fail(err);
          break;
        }
        attempt++;
        const delay = backoffDelay(attempt, { baseMs: 200, maxMs: 10_000 });
        log.warn({ err, attempt, delayMs: Math.round(delay) }, 'sql source step failed; retrying');
        await this.#sleep(delay);
      }
    }
  }
}
