-- The asset register of the local compose run (PostgreSQL; SQL Server's is deploy/sqlserver/seed.sql,
-- the same table). sql-source reads it in xid mode, exact: SQL_MODE=xid, SQL_ORDER_COLUMN=txid,
-- SQL_ID_COLUMN=asset_id, SQL_DELETED_COLUMN=is_deleted (a tombstone per deleted asset).
-- Idempotent: run by the one-shot asset-register-seed on every `up`.
CREATE TABLE IF NOT EXISTS assets (
  asset_id    text        PRIMARY KEY,
  device_id   text        NOT NULL UNIQUE,
  customer_id text        NOT NULL,
  model       text        NOT NULL,
  owner       text        NOT NULL,
  tags        jsonb       NOT NULL DEFAULT '[]',
  updated_at  timestamptz NOT NULL DEFAULT now(),
  is_deleted  boolean     NOT NULL DEFAULT false,
  txid        xid8        NOT NULL DEFAULT pg_current_xact_id()
);
CREATE INDEX IF NOT EXISTS ix_assets_txid ON assets (txid, asset_id);

-- Every insert and update takes its transaction's id (the xid-mode ordering column) and the time.
CREATE OR REPLACE FUNCTION assets_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.txid := pg_current_xact_id();
  NEW.updated_at := now();
  RETURN NEW;
END $$;
DROP TRIGGER IF EXISTS tr_assets_touch ON assets;
CREATE TRIGGER tr_assets_touch BEFORE INSERT OR UPDATE ON assets FOR EACH ROW EXECUTE FUNCTION assets_touch();

-- device_id values are the simulator's IMEIs (356307040000000 + i, i = 0..199); every 50th asset
-- is deleted, so the source sends tombstones too.
INSERT INTO assets (asset_id, device_id, customer_id, model, owner, tags, is_deleted)
SELECT
  'asset-' || lpad((i + 1)::text, 4, '0'),
  (356307040000000 + i)::text,
  'customer-' || (i % 7 + 1),
  (ARRAY['CAT 320 Excavator', 'Volvo FH16', 'Liebherr LTM 1100', 'JCB 3CX'])[i % 4 + 1],
  (ARRAY['North Yard', 'South Depot', 'Rental Pool'])[i % 3 + 1],
  CASE WHEN i % 5 = 0 THEN '["heavy","leased"]'::jsonb ELSE '["heavy"]'::jsonb END,
  (i + 1) % 50 = 0
FROM generate_series(0, 199) AS i
ON CONFLICT (asset_id) DO NOTHING;
