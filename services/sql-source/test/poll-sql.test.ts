// @servers postgresql
import { buildMssqlPoll } from '../src/mssql-dialect.ts';
import { buildPostgresPoll } from '../src/postgres-dialect.ts';
import { quoteIdentifier, type SourceSpec } from '../src/dialect.ts';
import { parsePosition, lagSeconds } from '../src/position.ts';
import { SqlSourceError } from '../src/errors.ts';

const spec = (over: Partial<SourceSpec> = {}): SourceSpec => ({
  table: 'dbo.assets',
  tsColumn: 'updated_at',
  idColumn: 'id',
  keyColumn: 'device_id',
  deletedColumn: 'deleted',
  mode: 'timestamp',
  orderColumn: 'rv',
  delayMs: 5000,
  ...over,
});

describe('SQL Server poll statement', () => {
  test('timestamp mode reads datetime2 as style-126 text and compares a datetime2(7) cast of the position', () => {
    // Act
    const stmt = buildMssqlPoll(spec(), { mode: 'timestamp', order: '2024-05-01T10:00:00.1234567', id: '42', ts: '2024-05-01T10:00:00.1234567' }, 500);
    // Assess
    expect(stmt.text).toBe(
      'SELECT TOP (@p0) CONVERT(varchar(27), s.[updated_at], 126) AS __order, CONVERT(nvarchar(450), s.[id]) AS __id, ' +
        'CONVERT(varchar(27), s.[updated_at], 126) AS __ts, CONVERT(nvarchar(450), s.[device_id]) AS __key, ' +
        'CAST(COALESCE(s.[deleted], 0) AS bit) AS __deleted, (SELECT s.* FOR JSON PATH, WITHOUT_ARRAY_WRAPPER, INCLUDE_NULL_VALUES) AS __json ' +
        'FROM [dbo].[assets] AS s WHERE (s.[updated_at] > CONVERT(datetime2(7), @p1, 126) OR (s.[updated_at] = CONVERT(datetime2(7), @p1, 126) AND s.[id] > @p2)) ' +
        'AND s.[updated_at] < DATEADD(millisecond, -@p3, SYSUTCDATETIME()) ORDER BY s.[updated_at], s.[id]',
    );
    expect(stmt.params).toEqual([500, '2024-05-01T10:00:00.1234567', '42', 5000]);
  });

  test('rowversion mode reads only below MIN_ACTIVE_ROWVERSION() and compares a binary(8) cast of the position', () => {
    // Act
    const stmt = buildMssqlPoll(spec({ mode: 'rowversion', deletedColumn: undefined }), { mode: 'rowversion', order: '0x00000000000007D1', id: '7', ts: null }, 100);
    // Assess
    expect(stmt.text).toBe(
      'SELECT TOP (@p0) CONVERT(varchar(18), s.[rv], 1) AS __order, CONVERT(nvarchar(450), s.[id]) AS __id, ' +
        'CONVERT(varchar(27), s.[updated_at], 126) AS __ts, CONVERT(nvarchar(450), s.[device_id]) AS __key, ' +
        'CAST(0 AS bit) AS __deleted, (SELECT s.* FOR JSON PATH, WITHOUT_ARRAY_WRAPPER, INCLUDE_NULL_VALUES) AS __json ' +
        'FROM [dbo].[assets] AS s WHERE (s.[rv] > CONVERT(binary(8), @p1, 1) OR (s.[rv] = CONVERT(binary(8), @p1, 1) AND s.[id] > @p2)) ' +
        'AND s.[rv] < MIN_ACTIVE_ROWVERSION() ORDER BY s.[rv], s.[id]',
    );
    expect(stmt.params).toEqual([100, '0x00000000000007D1', '7']);
  });

  test('without a position the first poll has no position predicate and polls a query as a subquery', () => {
    // Act
    const stmt = buildMssqlPoll(spec({ table: undefined, query: 'SELECT * FROM dbo.assets WHERE active = 1', mode: 'rowversion' }), null, 10);
    // Assess
    expect(stmt.text).toContain('FROM (SELECT * FROM dbo.assets WHERE active = 1) AS s WHERE s.[rv] < MIN_ACTIVE_ROWVERSION() ORDER BY');
    expect(stmt.params).toEqual([10]);
  });
});

describe('PostgreSQL poll statement', () => {
  test('xid mode polls by (txid, id) below the snapshot xmin', () => {
    // Act
    const stmt = buildPostgresPoll(spec({ table: 'assets', mode: 'xid', orderColumn: 'txid' }), { mode: 'xid', order: '1234', id: '9', ts: null }, 1000, 'xid8');
    // Assess
    expect(stmt.text).toBe(
      `SELECT s."txid"::text AS __order, s."id"::text AS __id, to_char(s."updated_at", 'YYYY-MM-DD"T"HH24:MI:SS.US') AS __ts, ` +
        `s."device_id"::text AS __key, coalesce(s."deleted", false) AS __deleted, row_to_json(s)::text AS __json FROM "assets" AS s ` +
        `WHERE (s."txid", s."id") > ($1::xid8, $2) AND s."txid" < pg_snapshot_xmin(pg_current_snapshot()) ORDER BY s."txid", s."id" LIMIT $3`,
    );
    expect(stmt.params).toEqual(['1234', '9', 1000]);
  });

  test('timestamp mode casts the position text to the column type and applies the delay', () => {
    // Act
    const stmt = buildPostgresPoll(spec({ table: 'assets' }), { mode: 'timestamp', order: '2024-05-01T10:00:00.123456', id: '3', ts: '2024-05-01T10:00:00.123456' }, 50, 'timestamptz');
    // Assess
    expect(stmt.text).toContain(`WHERE (s."updated_at", s."id") > ($1::timestamptz, $2) AND s."updated_at" < now() - make_interval(secs => $3::double precision) ORDER BY s."updated_at", s."id" LIMIT $4`);
    expect(stmt.params).toEqual(['2024-05-01T10:00:00.123456', '3', 5, 50]);
  });
});

describe('identifiers and positions', () => {
  test.each(['assets; DROP TABLE x', 'a.b.c.d', '1abc', 'a b'])('rejects the identifier %p with INVALID_IDENTIFIER', (name) => {
    expect(() => quoteIdentifier(name, (p) => p)).toThrow(expect.objectContaining({ code: 'SQL_SOURCE_INVALID_IDENTIFIER' }));
  });

  test('parses a stored position and rejects anything else with INVALID_CHECKPOINT', () => {
    expect(parsePosition('{"mode":"xid","order":"12","id":"3","ts":null}')).toEqual({ mode: 'xid', order: '12', id: '3', ts: null });
    for (const bad of ['nope', '{"mode":"other","order":"1","id":"1","ts":null}', '{"mode":"xid","order":1,"id":"1","ts":null}']) {
      let caught: unknown;
      try {
        parsePosition(bad);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(SqlSourceError);
      expect((caught as SqlSourceError).code).toBe('SQL_SOURCE_INVALID_CHECKPOINT');
    }
  });

  test('computes lag from a UTC timestamp text at microsecond precision', () => {
    expect(lagSeconds('2024-05-01T10:00:00.500000', Date.parse('2024-05-01T10:00:02.500Z'))).toBe(2);
    expect(lagSeconds(null, 0)).toBe(0);
  });
});
