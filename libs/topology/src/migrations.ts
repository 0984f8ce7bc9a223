import type cassandra from 'cassandra-driver';
import { TopologyError } from './errors.ts';
import type { DesiredTopology, Migration } from './desired.ts';

/** The table, in the keyspace, that records applied migrations. */
export const MIGRATIONS_TABLE = 'fleetstream_migrations';

/** A migration recorded as applied. */
export interface AppliedMigration {
  version: number;
  name: string;
  checksum: string;
  appliedAt: Date;
}

/** `{ 'class': 'SimpleStrategy', 'replication_factor': 1 }` from the topology's map. */
export function replicationCql(replication: Record<string, string | number>): string {
  return `{ ${Object.entries(replication).map(([k, v]) => `'${k}': ${typeof v === 'number' ? v : `'${v.replace(/'/g, "''")}'`}`).join(', ')} }`;
}

/** The migration's statements with {{KEYSPACE}}, {{REPLICATION}}, {{POSITIONS_TTL_SECONDS}} filled, comments dropped. */
export function renderMigration(m: Migration, c: DesiredTopology['cassandra']): string[] {
  const vars: Record<string, string> = {
    KEYSPACE: c.keyspace,
    REPLICATION: replicationCql(c.replication),
    POSITIONS_TTL_SECONDS: String(c.positionsTtlSeconds),
  };
  const text = m.text
    .split('\n')
    .filter((line) => !line.trim().startsWith('--'))
    .join('\n')
    .replace(/\{\{([A-Z_]+)\}\}/g, (all, name: string) => {
      const v = vars[name];
      if (v === undefined) throw new TopologyError('TOPOLOGY_INVALID', `migration ${m.version}: unknown placeholder ${all}`);
      return v;
    });
  return text
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Applied migrations of the keyspace; none when the keyspace or the table does not exist yet. */
export async function appliedMigrations(client: cassandra.Client, keyspace: string): Promise<AppliedMigration[]> {
  const t = await client.execute('SELECT table_name FROM system_schema.tables WHERE keyspace_name = ? AND table_name = ?', [keyspace, MIGRATIONS_TABLE], { prepare: true });
  if (t.rowLength === 0) return [];
  const rs = await client.execute(`SELECT version, name, checksum, applied_at FROM ${keyspace}.${MIGRATIONS_TABLE}`, [], { prepare: true });
  return rs.rows
    .map((r) => ({ version: Number(r.version), name: String(r.name), checksum: String(r.checksum), appliedAt: r.applied_at as Date }))
    .sort((a, b) => a.version - b.version);
}

/**
 * Runs one migration's statements in order, then records it. Statements are written IF NOT EXISTS,
 * so a migration interrupted half-way is simply applied again.
 */
export async function applyMigration(client: cassandra.Client, c: DesiredTopology['cassandra'], m: Migration): Promise<void> {
  const statements = renderMigration(m, c);
  for (const cql of statements) {
    try {
      await client.execute(cql, [], { prepare: false });
    } catch (err) {
      throw new TopologyError('TOPOLOGY_MIGRATION_FAILED', `migration ${m.version}-${m.name} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err, details: { version: m.version } });
    }
  }
  // The table lives in the keyspace, which the first migration creates.
  await client.execute(
    `CREATE TABLE IF NOT EXISTS ${c.keyspace}.${MIGRATIONS_TABLE} (version int PRIMARY KEY, name text, checksum text, applied_at timestamp)`,
    [],
    { prepare: false },
  );
  await client.execute(`INSERT INTO ${c.keyspace}.${MIGRATIONS_TABLE} (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)`, [m.version, m.name, m.checksum, new Date()], { prepare: true });
}
