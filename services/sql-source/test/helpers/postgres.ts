import pg from 'pg';

export const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export async function pgClient(): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  return c;
}

/**
 * An asset table with an xid8 column kept by a trigger (BEFORE INSERT OR UPDATE: the writing
 * transaction's id), as the README documents for xid mode.
 */
export async function createAssetTable(c: pg.Client, table: string): Promise<void> {
  await c.query(`CREATE TABLE ${table} (
    id bigserial PRIMARY KEY,
    device_id text NOT NULL,
    name text,
    odometer numeric(12,3),
    deleted boolean NOT NULL DEFAULT false,
    updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    txid xid8 NOT NULL DEFAULT pg_current_xact_id())`);
  await c.query(`CREATE FUNCTION ${table}_txid() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN NEW.txid := pg_current_xact_id(); NEW.updated_at := clock_timestamp(); RETURN NEW; END $$`);
  await c.query(`CREATE TRIGGER ${table}_txid BEFORE INSERT OR UPDATE ON ${table} FOR EACH ROW EXECUTE FUNCTION ${table}_txid()`);
}

export async function dropAssetTable(c: pg.Client, table: string): Promise<void> {
  await c.query(`DROP TABLE IF EXISTS ${table}`);
  await c.query(`DROP FUNCTION IF EXISTS ${table}_txid()`);
}

/** Inserts `n` rows (device dev-<i>) in one statement. */
export async function insertRows(c: pg.Client, table: string, n: number, from = 0): Promise<void> {
  await c.query(`INSERT INTO ${table} (device_id, name, odometer) SELECT 'dev-' || g, 'asset ' || g, g * 1.5 FROM generate_series($1::int, $2::int) g`, [from, from + n - 1]);
}
