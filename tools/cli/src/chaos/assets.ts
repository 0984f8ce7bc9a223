import pg from 'pg';

/**
 * The run's asset register: a PostgreSQL table in xid mode like the demo's, under the run's own
 * name. Every fifth device is left to the asset API (enrich's remote path).
 */
export async function seedChaosAssets(url: string, table: string, o: { imeiBase: number; devices: number }): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP TABLE IF EXISTS ${table}`);
    await client.query(`CREATE TABLE ${table} (
      id bigserial PRIMARY KEY, device_id text NOT NULL, asset_id text NOT NULL, customer_id text, model text, owner text,
      tags text[] NOT NULL DEFAULT '{}', deleted boolean NOT NULL DEFAULT false,
      updated_at timestamptz NOT NULL DEFAULT clock_timestamp(), txid xid8 NOT NULL DEFAULT pg_current_xact_id())`);
    await client.query(`CREATE OR REPLACE FUNCTION ${table}_txid() RETURNS trigger LANGUAGE plpgsql AS
      $$ BEGIN NEW.txid := pg_current_xact_id(); NEW.updated_at := clock_timestamp(); RETURN NEW; END $$`);
    await client.query(`CREATE TRIGGER ${table}_txid BEFORE INSERT OR UPDATE ON ${table} FOR EACH ROW EXECUTE FUNCTION ${table}_txid()`);
    const values: string[] = [];
    const params: unknown[] = [];
    for (let i = 0; i < o.devices; i++) {
      if (i % 5 === 4) continue;
      const b = params.length;
      values.push(`($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5})`);
      params.push(String(o.imeiBase + i), `asset-${i + 1}`, `customer-${(i % 7) + 1}`, ['CAT 320', 'Volvo FH16', 'JCB 3CX'][i % 3], `depot-${(i % 3) + 1}`);
    }
    if (values.length > 0) await client.query(`INSERT INTO ${table} (device_id, asset_id, customer_id, model, owner) VALUES ${values.join(', ')}`, params);
    return values.length;
  } finally {
    await client.end();
  }
}

export async function dropChaosAssets(url: string, table: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP TABLE IF EXISTS ${table}`);
    await client.query(`DROP FUNCTION IF EXISTS ${table}_txid()`);
  } finally {
    await client.end();
  }
}

/**
 * Changes the register while the run goes on: every `intervalMs` one seeded row gets a new owner
 * (one row version each, so one reference record each), and now and then a row is soft-deleted
 * and restored. Returns a stop function resolving the number of row versions written.
 */
export function startAssetChanges(url: string, table: string, rng: () => number, intervalMs: number, onError: (err: Error) => void): () => Promise<number> {
  let stopped = false;
  let changes = 0;
  const loop = (async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const ids = (await client.query<{ id: string }>(`SELECT id FROM ${table} ORDER BY id`)).rows.map((r) => r.id);
      while (!stopped && ids.length > 0) {
        const id = ids[Math.floor(rng() * ids.length)]!;
        const del = rng() < 0.1;
        try {
          const r = await client.query(
            del ? `UPDATE ${table} SET deleted = NOT deleted WHERE id = $1` : `UPDATE ${table} SET owner = $2, tags = ARRAY[$2] WHERE id = $1`,
            del ? [id] : [id, `depot-${Math.floor(rng() * 9) + 1}`],
          );
          changes += r.rowCount ?? 0;
        } catch (err) {
          onError(err as Error);
        }
        await new Promise((r) => setTimeout(r, intervalMs));
      }
    } finally {
      await client.end();
    }
  })();
  return async () => {
    stopped = true;
    await loop;
    return changes;
  };
}

/** A register row as the reconciliation compares it: its owner, and whether it is soft-deleted. */
export interface RegisterRow {
  owner: string | null;
  deleted: boolean;
}

/** The register's current state, by device id. */
export async function readRegister(url: string, table: string): Promise<Map<string, RegisterRow>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const rows = (await client.query<{ device_id: string; owner: string | null; deleted: boolean }>(`SELECT device_id, owner, deleted FROM ${table}`)).rows;
    return new Map(rows.map((r) => [r.device_id, { owner: r.owner, deleted: r.deleted }]));
  } finally {
    await client.end();
  }
}
