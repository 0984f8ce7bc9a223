import pg from 'pg';

/** The demo's asset register: a PostgreSQL table in xid mode (the exact late-commit protection). */
export const DEMO_ASSET_TABLE = 'fleetstream_demo_assets';

/**
 * (Re)creates the demo asset table and seeds one asset for most simulated devices; the rest are
 * left to the asset API (enrich's remote path). Returns the number of rows.
 */
export async function seedDemoAssets(url: string, options: { imeiBase: number; devices: number }): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP TABLE IF EXISTS ${DEMO_ASSET_TABLE}`);
    await client.query(`CREATE TABLE ${DEMO_ASSET_TABLE} (
      id bigserial PRIMARY KEY,
      device_id text NOT NULL,
      asset_id text NOT NULL,
      customer_id text,
      model text,
      owner text,
      tags text[] NOT NULL DEFAULT '{}',
      deleted boolean NOT NULL DEFAULT false,
      updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
      txid xid8 NOT NULL DEFAULT pg_current_xact_id())`);
    await client.query(`CREATE OR REPLACE FUNCTION ${DEMO_ASSET_TABLE}_txid() RETURNS trigger LANGUAGE plpgsql AS
      $$ BEGIN NEW.txid := pg_current_xact_id(); NEW.updated_at := clock_timestamp(); RETURN NEW; END $$`);
    await client.query(`CREATE TRIGGER ${DEMO_ASSET_TABLE}_txid BEFORE INSERT OR UPDATE ON ${DEMO_ASSET_TABLE} FOR EACH ROW EXECUTE FUNCTION ${DEMO_ASSET_TABLE}_txid()`);
    const models = ['CAT 320', 'Volvo FH16', 'Liebherr LTM 1090', 'JCB 3CX', 'Scania R450'];
    let rows = 0;
    for (let i = 0; i < options.devices; i += 1) {
      if (i % 5 === 4) continue; // every fifth device is only known to the asset API
      await client.query(`INSERT INTO ${DEMO_ASSET_TABLE} (device_id, asset_id, customer_id, model, owner, tags) VALUES ($1, $2, $3, $4, $5, $6)`, [
        String(options.imeiBase + i),
        `asset-${i + 1}`,
        `customer-${(i % 7) + 1}`,
        models[i % models.length],
        `depot-${(i % 3) + 1}`,
        i % 2 === 0 ? ['construction'] : ['logistics'],
      ]);
      rows += 1;
    }
    return rows;
  } finally {
    await client.end();
  }
}
