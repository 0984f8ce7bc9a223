import { z } from 'zod';
import { baseConfigShape, ConfigError, env } from '@fleetstream/stream';

/** The environment of the SQL source (README, "Configuration"). */
export const sqlSourceConfigSchema = z.object({
  ...baseConfigShape,
  SQL_DIALECT: z.enum(['postgres', 'mssql'], { message: 'must be postgres or mssql' }).default('postgres'),
  SQL_URL: env.str(),
  SQL_TABLE: env.optionalStr(),
  SQL_QUERY: env.optionalStr(),
  SQL_TS_COLUMN: env.str('updated_at'),
  SQL_ID_COLUMN: env.str('id'),
  SQL_KEY_COLUMN: env.str('device_id'),
  SQL_DELETED_COLUMN: env.optionalStr(),
  SQL_MODE: z.enum(['timestamp', 'xid', 'rowversion'], { message: 'must be timestamp, xid or rowversion' }).default('timestamp'),
  /** The xid8 (xid mode) or rowversion (rowversion mode) column; txid / rv by default. */
  SQL_ORDER_COLUMN: env.optionalStr(),
  SQL_DELAY_MS: env.int(5_000, { min: 0, max: 86_400_000 }),
  SQL_FROM_START: env.bool(false),
  BATCH_ROWS: env.int(1_000, { min: 1, max: 100_000 }),
  POLL_INTERVAL_MS: env.int(1_000, { min: 10, max: 3_600_000 }),
  MAX_ROWS_PER_SEC: env.int(0, { min: 0 }),
  SOURCE_NAME: env.str('assets'),
  OUTPUT_TOPIC: env.str('reference.assets'),
  CHECKPOINT_TOPIC: env.str('sql-source.checkpoints'),
  /** Reading the checkpoint topic stops after this long without progress (partitions holding only markers). */
  CHECKPOINT_READ_IDLE_MS: env.int(5_000, { min: 100, max: 600_000 }),
});

export type SqlSourceConfig = z.infer<typeof sqlSourceConfigSchema>;

/** Rules across variables, checked after the schema: table or query, and a mode the dialect has. */
export function checkSqlSourceConfig(config: SqlSourceConfig): void {
  if (!config.SQL_TABLE && !config.SQL_QUERY) throw new ConfigError('SQL_TABLE', 'is required (or SQL_QUERY)');
  if (config.SQL_MODE === 'xid' && config.SQL_DIALECT !== 'postgres') throw new ConfigError('SQL_MODE', 'xid needs SQL_DIALECT=postgres');
  if (config.SQL_MODE === 'rowversion' && config.SQL_DIALECT !== 'mssql') throw new ConfigError('SQL_MODE', 'rowversion needs SQL_DIALECT=mssql');
}

/** True when the process was started with `--from-start` (ignore the checkpoint). */
export function fromStartFlag(argv: readonly string[] = process.argv): boolean {
  return argv.includes('--from-start');
}
