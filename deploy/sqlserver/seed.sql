-- The asset register that services/sql-source polls (SQL_DIALECT=mssql, SQL_TABLE=dbo.assets).
-- Idempotent: run by the compose one-shot `sqlserver-seed` on every `docker compose up`.
--   row_version  SQL Server rowversion: the source polls by (row_version, asset_id) in its exact
--                rowversion mode (SQL_MODE=rowversion, SQL_ORDER_COLUMN=row_version, SQL_ID_COLUMN=asset_id)
--   updated_at   the timestamp column (the source reports its lag by it)
--   is_deleted   soft delete: the source emits a tombstone for the asset (SQL_DELETED_COLUMN=is_deleted)
-- device_id values are the simulator's IMEIs 356307040000000 .. 356307040000199 (its default fleet).
IF DB_ID(N'fleetstream') IS NULL CREATE DATABASE fleetstream;
GO
USE fleetstream;
GO
IF OBJECT_ID(N'dbo.assets', N'U') IS NULL
BEGIN
  CREATE TABLE dbo.assets (
    asset_id     NVARCHAR(64)   NOT NULL CONSTRAINT pk_assets PRIMARY KEY,
    device_id    NVARCHAR(32)   NOT NULL,
    customer_id  NVARCHAR(64)   NOT NULL,
    model        NVARCHAR(128)  NOT NULL,
    owner        NVARCHAR(128)  NOT NULL,
    tags         NVARCHAR(1024) NOT NULL CONSTRAINT df_assets_tags DEFAULT N'[]',
    updated_at   DATETIME2(3)   NOT NULL CONSTRAINT df_assets_updated_at DEFAULT SYSUTCDATETIME(),
    row_version  ROWVERSION     NOT NULL,
    is_deleted   BIT            NOT NULL CONSTRAINT df_assets_is_deleted DEFAULT 0
  );
  CREATE UNIQUE INDEX ux_assets_device_id ON dbo.assets (device_id);
  CREATE INDEX ix_assets_poll ON dbo.assets (updated_at, asset_id);
END
GO
-- Keeps updated_at moving on every update, so the poller sees changes made by hand too.
CREATE OR ALTER TRIGGER dbo.tr_assets_touch ON dbo.assets AFTER UPDATE AS
BEGIN
  SET NOCOUNT ON;
  IF TRIGGER_NESTLEVEL() > 1 RETURN;
  UPDATE a SET updated_at = SYSUTCDATETIME()
  FROM dbo.assets AS a JOIN inserted AS i ON a.asset_id = i.asset_id;
END
GO
IF NOT EXISTS (SELECT 1 FROM dbo.assets)
BEGIN
  WITH n AS (
    SELECT TOP (200) ROW_NUMBER() OVER (ORDER BY (SELECT NULL)) AS i
    FROM sys.all_objects
  )
  INSERT INTO dbo.assets (asset_id, device_id, customer_id, model, owner, tags, is_deleted)
  SELECT
    CONCAT(N'asset-', RIGHT(CONCAT(N'0000', i), 4)),
    CONCAT(N'35630704000', RIGHT(CONCAT(N'0000', i - 1), 4)),
    CONCAT(N'customer-', (i % 7) + 1),
    CASE i % 4 WHEN 0 THEN N'CAT 320 Excavator' WHEN 1 THEN N'Volvo FH16' WHEN 2 THEN N'Liebherr LTM 1100' ELSE N'JCB 3CX' END,
    CASE i % 3 WHEN 0 THEN N'North Yard' WHEN 1 THEN N'South Depot' ELSE N'Rental Pool' END,
    CASE WHEN i % 5 = 0 THEN N'["heavy","leased"]' ELSE N'["heavy"]' END,
    CASE WHEN i % 50 = 0 THEN 1 ELSE 0 END   -- a few soft-deleted assets: tombstones downstream
  FROM n;
END
GO
SELECT COUNT(*) AS assets, SUM(CAST(is_deleted AS INT)) AS deleted FROM dbo.assets;
GO
