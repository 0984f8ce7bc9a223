import pg from 'pg';
import { quoteIdentifier, type Dialect, type PollStatement, type SourceRow, type SourceSpec } from './dialect.ts';
import { SqlSourceError } from './errors.ts';
import type { Position } from './position.ts';

const q = (name: string) => quoteIdentifier(name, (p) => `"${p}"`);

/** The SQL type a position's text is cast to: the ts column's own type (timestamp mode), or xid8. */
export type PostgresOrderType = 'timestamptz' | 'timestamp' | 'xid8';

/** `FROM` clause of the source: the table, or the query as a subquery; alias `s`. */
function fromClause(spec: SourceSpec): string {
  if (spec.table) return `${q(spec.table)} AS s`;
  return `(${spec.query}) AS s`;
}

/**
 * The poll statement of PostgreSQL. Timestamps leave the database as text at microsecond
 * precision (to_char … US, the session runs in UTC) and come back as a parameter cast to the
 * column's own type, so a position is never rounded through a JS Date.
 *
 * - timestamp: `(ts, id) > ($1::<type>, $2) AND ts < now() - delay`
 * - xid: `(txid, id) > ($1::xid8, $2) AND txid < pg_snapshot_xmin(pg_current_snapshot())` — every
 *   transaction below the snapshot's xmin has ended, so no row can later appear below the position.
 */
export function buildPostgresPoll(spec: SourceSpec, after: Position | null, limit: number, orderType: PostgresOrderType): PollStatement {
  const ts = `s.${q(spec.tsColumn)}`;
  const id = `s.${q(spec.idColumn)}`;
  const order = spec.mode === 'xid' ? `s.${q(spec.orderColumn)}` : ts;
  const tsText = `to_char(${ts}, 'YYYY-MM-DD"T"HH24:MI:SS.US')`;
  const orderText = spec.mode === 'xid' ? `${order}::text` : tsText;
  const deleted = spec.deletedColumn ? `coalesce(s.${q(spec.deletedColumn)}, false)` : 'false';
  const params: (string | number)[] = [];
  const p = (v: string | number) => `$${params.push(v)}`;
  const where: string[] = [];
  if (after) where.push(`(${order}, ${id}) > (${p(after.order)}::${orderType}, ${p(after.id)})`);
  if (spec.mode === 'xid') where.push(`${order} < pg_snapshot_xmin(pg_current_snapshot())`);
  else where.push(`${ts} < now() - make_interval(secs => ${p(spec.delayMs / 1000)}::double precision)`);
  const text =
    `SELECT ${orderText} AS __order, ${id}::text AS __id, ${tsText} AS __ts, s.${q(spec.keyColumn)}::text AS __key, ` +
    `${deleted} AS __deleted, row_to_json(s)::text AS __json FROM ${fromClause(spec)} ` +
    `WHERE ${where.join(' AND ')} ORDER BY ${order}, ${id} LIMIT ${p(limit)}`;
  return { text, params };
}

interface PgRow {
  __order: string;
  __id: string;
  __ts: string | null;
  __key: string | null;
  __deleted: boolean;
  __json: string;
}

const TIMESTAMPTZ_OID = 1184;
const TIMESTAMP_OID = 1114;

/** PostgreSQL via pg: one connection, session time zone UTC, reconnected after a failure. */
export class PostgresDialect implements Dialect {
  readonly name = 'postgres' as const;
  readonly #url: string;
  readonly #spec: SourceSpec;
  #client: pg.Client | undefined;
  #orderType: PostgresOrderType = 'timestamptz';

  constructor(url: string, spec: SourceSpec) {
    this.#url = url;
    this.#spec = spec;
  }

  async connect(): Promise<void> {
    if (this.#client) return;
    const client = new pg.Client({ connectionString: this.#url, options: '-c TimeZone=UTC', connectionTimeoutMillis: 5_000 });
    // A dropped connection emits 'error' outside any query: forget the client, the next poll reconnects.
    client.on('error', () => {
      if (this.#client === client) this.#client = undefined;
    });
    try {
      await client.connect();
      if (this.#spec.mode === 'xid') this.#orderType = 'xid8';
      else {
        const res = await client.query(`SELECT s.${q(this.#spec.tsColumn)} FROM ${fromClause(this.#spec)} WHERE false`);
        const oid = res.fields[0]?.dataTypeID;
        if (oid !== TIMESTAMPTZ_OID && oid !== TIMESTAMP_OID) {
          throw new SqlSourceError('SQL_SOURCE_UNAVAILABLE', `column ${this.#spec.tsColumn} is not a timestamp (type oid ${oid})`);
        }
        this.#orderType = oid === TIMESTAMPTZ_OID ? 'timestamptz' : 'timestamp';
      }
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    this.#client = client;
  }

  async poll(after: Position | null, limit: number): Promise<SourceRow[]> {
    await this.connect();
    const client = this.#client!;
    const stmt = buildPostgresPoll(this.#spec, after, limit, this.#orderType);
    try {
      const res = await client.query<PgRow>(stmt.text, stmt.params);
      return res.rows.map((r) => ({ order: r.__order, id: r.__id, ts: r.__ts, key: r.__key, deleted: r.__deleted === true, json: r.__json }));
    } catch (err) {
      // The connection may be broken; start afresh on the next poll.
      if (this.#client === client) this.#client = undefined;
      await client.end().catch(() => undefined);
      throw new SqlSourceError('SQL_SOURCE_UNAVAILABLE', `poll failed: ${(err as Error).message}`, { retryable: true, cause: err });
    }
  }

  async close(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
  }
}
