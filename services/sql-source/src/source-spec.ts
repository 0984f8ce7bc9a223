import type { SqlSourceConfig } from './config.ts';
import type { Dialect, SourceSpec } from './dialect.ts';
import { MssqlDialect } from './mssql-dialect.ts';
import { PostgresDialect } from './postgres-dialect.ts';

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
