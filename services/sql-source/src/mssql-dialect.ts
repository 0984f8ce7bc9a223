import mssql from 'mssql';
import { quoteIdentifier, type Dialect, type PollStatement, type SourceRow, type SourceSpec } from './dialect.ts';
import { SqlSourceError } from './errors.ts';
import type { Position } from './position.ts';

const q = (name: string) => quoteIdentifier(name, (p) => `[${p}]`);

/**
 * The poll statement of SQL Server (parameters @p0, @p1…, all passed as text). datetime2(7) leaves
 * the database as `CONVERT(varchar(27), ts, 126)` (100 ns precision) and comes back as
 * `CONVERT(datetime2(7), @p, 126)`; a rowversion as `CONVERT(varchar(18), rv, 1)` (0x-hex) and back as
 * `CONVERT(binary(8), @p, 1)`. SQL Server has no row-value comparison, so (a, b) > (x, y) is spelled out.
 *
 * - timestamp: rows older than `SYSUTCDATETIME() - delay` (timestamps are stored in UTC).
 * - rowversion: rows with `rv < MIN_ACTIVE_ROWVERSION()`: every rowversion below it belongs to a
 *   committed (or rolled back) transaction, so no row can later appear below the position.
 */
export function buildMssqlPoll(spec: SourceSpec, after: Position | null, limit: number): PollStatement {
  const ts = `s.${q(spec.tsColumn)}`;
  const id = `s.${q(spec.idColumn)}`;
  const rowversion = spec.mode === 'rowversion';
  const order = rowversion ? `s.${q(spec.orderColumn)}` : ts;
  const tsText = `CONVERT(varchar(27), ${ts}, 126)`;
  const orderText = rowversion ? `CONVERT(varchar(18), ${order}, 1)` : tsText;
  const deleted = spec.deletedColumn ? `CAST(COALESCE(s.${q(spec.deletedColumn)}, 0) AS bit)` : 'CAST(0 AS bit)';
  const params: (string | number)[] = [];
  const p = (v: string | number) => `@p${params.push(v) - 1}`;
  const where: string[] = [];
  const limitParam = p(limit);
  if (after) {
    const o = rowversion ? `CONVERT(binary(8), ${p(after.order)}, 1)` : `CONVERT(datetime2(7), ${p(after.order)}, 126)`;
    const i = p(after.id);
    where.push(`(${order} > ${o} OR (${order} = ${o} AND ${id} > ${i}))`);
  }
  if (rowversion) where.push(`${order} < MIN_ACTIVE_ROWVERSION()`);
  else where.push(`${ts} < DATEADD(millisecond, -${p(spec.delayMs)}, SYSUTCDATETIME())`);
  const from = spec.table ? `${q(spec.table)} AS s` : `(${spec.query}) AS s`;
  const text =
    `SELECT TOP (${limitParam}) ${orderText} AS __order, CONVERT(nvarchar(450), ${id}) AS __id, ${tsText} AS __ts, ` +
    `CONVERT(nvarchar(450), s.${q(spec.keyColumn)}) AS __key, ${deleted} AS __deleted, ` +
    `(SELECT s.* FOR JSON PATH, WITHOUT_ARRAY_WRAPPER, INCLUDE_NULL_VALUES) AS __json ` +
    `FROM ${from} WHERE ${where.join(' AND ')} ORDER BY ${order}, ${id}`;
  return { text, params };
}

interface MssqlRow {
  __order: string;
  __id: string;
  __ts: string | null;
  __key: string | null;
  __deleted: boolean;
  __json: string;
}

/** SQL Server via mssql: a small pool from a connection string, recreated after a failure. */
export class MssqlDialect implements Dialect {
  readonly name = 'mssql' as const;
  readonly #url: string;
  readonly #spec: SourceSpec;
  #pool: mssql.ConnectionPool | undefined;

  constructor(url: string, spec: SourceSpec) {
    this.#url = url;
    this.#spec = spec;
  }

  async connect(): Promise<void> {
    if (this.#pool) return;
    const pool = new mssql.ConnectionPool(this.#url);
    pool.on('error', () => {
      if (this.#pool === pool) this.#pool = undefined;
    });
    await pool.connect();
    this.#pool = pool;
  }

  async poll(after: Position | null, limit: number): Promise<SourceRow[]> {
    await this.connect();
    const pool = this.#pool!;
    const stmt = buildMssqlPoll(this.#spec, after, limit);
    try {
      const request = pool.request();
      stmt.params.forEach((v, i) => {
        if (typeof v === 'number') request.input(`p${i}`, mssql.BigInt, v);
        else request.input(`p${i}`, mssql.NVarChar(450), v);
      });
      const res = await request.query<MssqlRow>(stmt.text);
      return res.recordset.map((r) => ({ order: r.__order, id: r.__id, ts: r.__ts, key: r.__key, deleted: r.__deleted === true, json: r.__json }));
    } catch (err) {
      if (this.#pool === pool) this.#pool = undefined;
      await pool.close().catch(() => undefined);
      throw new SqlSourceError('SQL_SOURCE_UNAVAILABLE', `poll failed: ${(err as Error).message}`, { retryable: true, cause: err });
    }
  }

  async close(): Promise<void> {
    const pool = this.#pool;
    this.#pool = undefined;
    await pool?.close().catch(() => undefined);
  }
}
