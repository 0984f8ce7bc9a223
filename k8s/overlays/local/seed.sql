-- The asset register for the local overlay (PostgreSQL; the compose file seeds SQL Server with
-- deploy/sqlserver/seed.sql, the same table). Run once by the postgres image on first start.
--   txid        xid8 set by a trigger to the writing transaction: the source polls by (txid, asset_id)
--               in its exact xid mode (SQL_MODE=xid, SQL_ORDER_COLUMN=txid, SQL_ID_COLUMN=asset_id)
--   updated_at  the timestamp column (the source reports its lag by it)
--   is_deleted  soft delete: the source emits a tombstone for the asset (SQL_DELETED_COLUMN=is_deleted)
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
CREATE INDEX IF NOT EXISTS ix_assets_poll ON assets (txid, asset_id);

CREATE OR REPLACE FUNCTION assets_txid() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.txid := pg_current_xact_id();
  RETURN NEW;
END $$;
DROP TRIGGER IF EXISTS tr_assets_txid ON assets;
CREATE TRIGGER tr_assets_txid BEFORE INSERT OR UPDATE ON assets FOR EACH ROW EXECUTE FUNCTION assets_txid();

CREATE OR REPLACE FUNCTION assets_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END $$;
DROP TRIGGER IF EXISTS tr_assets_touch ON assets;
CREATE TRIGGER tr_assets_touch BEFORE UPDATE ON assets FOR EACH ROW EXECUTE FUNCTION assets_touch();

-- device_id values are the simulator's IMEIs 356307040000000 .. 356307040000199 (its default fleet).
INSERT INTO assets (asset_id, device_id, customer_id, model, owner, tags, is_deleted)
SELECT
  'asset-' || lpad(i::text, 4, '0'),
  '35630704000' || lpad((i - 1)::text, 4, '0'),
  'customer-' || (i % 7 + 1),
  (ARRAY['CAT 320 Excavator', 'Volvo FH16', 'Liebherr LTM 1100', 'JCB 3CX'])[i % 4 + 1],
  (ARRAY['North Yard', 'South Depot', 'Rental Pool'])[i % 3 + 1],
  CASE WHEN i % 5 = 0 THEN '["heavy","leased"]'::jsonb ELSE '["heavy"]'::jsonb END,
  i % 50 = 0
FROM generate_series(1, 200) AS i
ON CONFLICT (asset_id) DO NOTHING;
