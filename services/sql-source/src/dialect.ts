import { SqlSourceError } from './errors.ts';
import type { Position, SqlMode } from './position.ts';

/** What to poll: a table or a query, and its columns. */
export interface SourceSpec {
  /** A table name, optionally schema-qualified (`schema.table`); or use `query`. */
  table?: string;
  /** A SELECT whose result is polled as a subquery (used when `table` is absent). */
  query?: string;
  tsColumn: string;
  idColumn: string;
  keyColumn: string;
  /** A boolean/bit column; a row where it is true becomes a tombstone. */
  deletedColumn?: string;
  mode: SqlMode;
  /** The xid8 (xid mode) or rowversion (rowversion mode) column. */
  orderColumn: string;
  /** timestamp mode: only rows with ts older than now minus this delay are read. */
  delayMs: number;
}

/** One polled row, every field as the database printed it. */
export interface SourceRow {
  order: string;
  id: string;
  ts: string | null;
  key: string | null;
  deleted: boolean;
  /** The whole row as JSON text, typed by the database (numbers stay numbers, precision kept). */
  json: string;
}

/** A parameterised statement; parameters are named p0, p1… (`$1…` in PostgreSQL, `@p0…` in SQL Server). */
export interface PollStatement {
  text: string;
  params: (string | number)[];
}

/**
 * A database the source can poll. Implementations: PostgreSQL (pg) and SQL Server (mssql).
 * `poll` returns rows strictly after `after` in (order, id) order, at most `limit`, and only rows
 * that can no longer be preceded by a late commit (per mode).
 */
export interface Dialect {
  readonly name: 'postgres' | 'mssql';
  connect(): Promise<void>;
  poll(after: Position | null, limit: number): Promise<SourceRow[]>;
  close(): Promise<void>;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_$]*$/;

/** Quotes a plain or schema-qualified identifier; anything else is INVALID_IDENTIFIER. */
export function quoteIdentifier(name: string, quote: (part: string) => string): string {
  const parts = name.split('.');
  if (parts.length > 3 || !parts.every((p) => IDENT.test(p))) {
    throw new SqlSourceError('SQL_SOURCE_INVALID_IDENTIFIER', `"${name}" is not a plain identifier`, { details: { name } });
  }
  return parts.map(quote).join('.');
}
