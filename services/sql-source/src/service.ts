import { backoffDelay, errorClass, TokenBucket, type OutboundRecord, type Service, type ServiceDeps, type StreamProducer } from '@fleetstream/stream';
import { checkpointRecord, ensureCheckpointTopic, readCheckpoint } from './checkpoint.ts';
import { checkSqlSourceConfig, fromStartFlag, type SqlSourceConfig } from './config.ts';
import type { Dialect, SourceRow, SourceSpec } from './dialect.ts';
import { SqlSourceError } from './errors.ts';
import { createSqlSourceMetrics } from './metrics.ts';
import { MssqlDialect } from './mssql-dialect.ts';
import { lagSeconds, type Position } from './position.ts';
import { PostgresDialect } from './postgres-dialect.ts';

/** Header carrying the position of the row itself, as JSON. */
export const POSITION_HEADER = 'source.position';

/** The source spec described by the config. */
export function sourceSpec(config: SqlSourceConfig): SourceSpec {
  return {
    table: config.SQL_TABLE,
    query: config.SQL_QUERY,
    tsColumn: config.SQL_TS_COLUMN,
    idColumn: config.SQL_ID_COLUMN,
    keyColumn: config.SQL_KEY_COLUMN,
    deletedColumn: config.SQL_DELETED_COLUMN,
    mode: config.SQL_MODE,
    orderColumn: config.SQL_ORDER_COLUMN ?? (config.SQL_MODE === 'rowversion' ? 'rv' : 'txid'),
    delayMs: config.SQL_DELAY_MS,
  };
}

/** The dialect of the config (PostgreSQL or SQL Server). */
export function createDialect(config: SqlSourceConfig): Dialect {
  const spec = sourceSpec(config);
  return config.SQL_DIALECT === 'mssql' ? new MssqlDialect(config.SQL_URL, spec) : new PostgresDialect(config.SQL_URL, spec);
}

/** A row's position in the configured mode. */
export function rowPosition(mode: Position['mode'], row: SourceRow): Position {
  return { mode, order: row.order, id: row.id, ts: row.ts };
}

/**
 * The SQL source: polls the table by position and emits each batch — one record per row and the
 * new position — in one Kafka transaction (transactional id `sql-source-<SOURCE_NAME>`), so a crash
 * neither skips nor repeats a committed batch. After any Kafka failure it fences itself (a new
 * producer) and re-reads the position from the checkpoint topic before polling again.
 */
export function createSqlSourceService(deps: ServiceDeps<SqlSourceConfig>, options: { dialect?: Dialect; argv?: readonly string[] } = {}): Service {
  const { config, logger, registry, metrics, kafka, health, name } = deps;
  checkSqlSourceConfig(config);
  const log = logger.child({ component: 'sql-source' });
  const dialect = options.dialect ?? createDialect(config);
  const m = createSqlSourceMetrics(registry);
  const bucket = new TokenBucket({ ratePerSec: config.MAX_ROWS_PER_SEC });
  const admin = kafka.admin();
  const transactionalId = `sql-source-${config.SOURCE_NAME}`;
  let fromStart = config.SQL_FROM_START || fromStartFlag(options.argv);
  let producer: StreamProducer | undefined;
  let position: Position | null = null;
  let synced = false;
  let healthy = false;
  let running = false;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        wake = undefined;
        resolve();
      }
      wake = done;
    });

  /** (Re)creates the transactional producer — fencing any zombie — and loads the position. */
  async function sync(): Promise<void> {
    if (producer) await producer.disconnect().catch(() => undefined);
    producer = kafka.producer({ transactionalId });
    await producer.connect();
    if (fromStart) {
      position = null;
      log.info('starting from the beginning of the table (--from-start)');
    } else {
      position = await readCheckpoint(kafka, admin, { topic: config.CHECKPOINT_TOPIC, sourceName: config.SOURCE_NAME, idleMs: config.CHECKPOINT_READ_IDLE_MS, logger: log });
      if (position && position.mode !== config.SQL_MODE) {
        throw new SqlSourceError('POSITION_MODE_MISMATCH', `checkpoint of ${config.SOURCE_NAME} is in mode ${position.mode}, configured ${config.SQL_MODE}`);
      }
      log.info({ position }, 'resuming from checkpoint');
    }
    synced = true;
  }

  async function emit(rows: SourceRow[]): Promise<Position> {
    const records: OutboundRecord[] = [];
    let tombstones = 0;
    for (const row of rows) {
      const pos = rowPosition(config.SQL_MODE, row);
      if (row.deleted) tombstones++;
      records.push({ topic: config.OUTPUT_TOPIC, key: row.key, value: row.deleted ? null : row.json, headers: { [POSITION_HEADER]: JSON.stringify(pos) } });
    }
    const last = rowPosition(config.SQL_MODE, rows[rows.length - 1]!);
    records.push(checkpointRecord(config.CHECKPOINT_TOPIC, config.SOURCE_NAME, last));
    const tx = await producer!.transaction();
    try {
      await tx.send(records);
      await tx.commit();
    } catch (err) {
      await tx.abort().catch(() => undefined);
      throw new SqlSourceError('EMIT_FAILED', `emitting ${rows.length} rows failed: ${(err as Error).message}`, { retryable: true, cause: err });
    }
    metrics.recordsOut.inc({ service: name, topic: config.OUTPUT_TOPIC }, rows.length);
    m.rows.inc({ service: name, kind: 'row' }, rows.length - tombstones);
    if (tombstones > 0) m.rows.inc({ service: name, kind: 'tombstone' }, tombstones);
    return last;
  }

  async function run(): Promise<void> {
    let attempt = 0;
    while (running) {
      try {
        if (!synced) await sync();
        const rows = await dialect.poll(position, config.BATCH_ROWS);
        m.polls.inc({ service: name });
        healthy = true;
        if (rows.length > 0) {
          for (let wait = bucket.tryTake(rows.length); wait > 0 && running; wait = bucket.tryTake(rows.length)) await sleep(wait);
          if (!running) break;
          try {
            position = await emit(rows);
          } catch (err) {
            synced = false; // the commit may or may not have landed: fence and re-read the checkpoint
            throw err;
          }
          fromStart = false; // the first batch wrote a checkpoint: a re-sync resumes from it
        }
        m.lag.set({ service: name }, lagSeconds(position?.ts ?? null, Date.now()));
        attempt = 0;
        if (rows.length < config.BATCH_ROWS && running) await sleep(config.POLL_INTERVAL_MS);
      } catch (err) {
        if (!running) break;
        healthy = false;
        attempt++;
        m.errors.inc({ service: name, class: errorClass(err) });
        const delay = backoffDelay(attempt, { baseMs: 200, maxMs: 10_000 });
        log.warn({ err, attempt, delayMs: Math.round(delay) }, 'sql source step failed; retrying');
        await sleep(delay);
      }
    }
  }

  return {
    async start() {
      health.setReadiness('source', () => healthy);
      await admin.connect();
      await ensureCheckpointTopic(admin, config.CHECKPOINT_TOPIC);
      running = true;
      loop = run();
    },
    async stop(deadlineMs) {
      running = false;
      wake?.();
      if (loop) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([loop, new Promise((r) => (timer = setTimeout(r, deadlineMs)))]);
        clearTimeout(timer);
      }
      await producer?.disconnect().catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
      await dialect.close();
    },
  };
}
