import type cassandra from 'cassandra-driver';
import type { StreamAdmin } from '@fleetstream/stream';
import type { DesiredTopology } from './desired.ts';
import { appliedMigrations } from './migrations.ts';

/** One change that brings the cluster to the desired topology. */
export type TopologyAction =
  | { kind: 'create-topic'; topic: string; partitions: number; replicationFactor: number; configs: Record<string, string> }
  | { kind: 'add-partitions'; topic: string; from: number; to: number }
  | { kind: 'alter-configs'; topic: string; changes: { key: string; from: string | null; to: string }[]; configs: Record<string, string> }
  | { kind: 'delete-topic'; topic: string }
  | { kind: 'apply-migration'; version: number; name: string; checksum: string };

/** The plan: actions in the order `apply` runs them, and what cannot be changed automatically. */
export interface TopologyPlan {
  actions: TopologyAction[];
  warnings: string[];
}

/** The clients a plan reads with (and apply writes with). */
export interface TopologyClients {
  admin: StreamAdmin;
  /** Connected, not bound to a keyspace. */
  cassandra: cassandra.Client;
}

export interface PlanOptions {
  /**
   * Also plan to delete topics that are not in the desired topology but carry its `topicPrefix`
   * and one of its topic families (`telemetry.`, `reference.`, `sql-source.`). Off by default.
   */
  allowDelete?: boolean;
  topicPrefix?: string;
}

const FAMILIES = ['telemetry.', 'reference.', 'sql-source.'];

/**
 * Compares the desired topology with the cluster and lists the changes. Nothing is deleted or
 * shrunk unless `allowDelete` is set; what Kafka cannot do (fewer partitions, another replication
 * factor) and migrations whose file changed after they ran are warnings.
 */
export async function plan(desired: DesiredTopology, clients: TopologyClients, options: PlanOptions = {}): Promise<TopologyPlan> {
  const actions: TopologyAction[] = [];
  const warnings: string[] = [];
  const existing = new Set(await clients.admin.listTopics());
  const present = desired.topics.filter((t) => existing.has(t.name));
  const described = new Map((present.length > 0 ? await clients.admin.describeTopics(present.map((t) => t.name)) : []).map((d) => [d.topic, d]));
  const keys = [...new Set(present.flatMap((t) => Object.keys(t.configs)))];
  const configs = present.length > 0 && keys.length > 0 ? await clients.admin.describeConfigs(present.map((t) => t.name), keys) : {};

  for (const t of desired.topics) {
    if (!existing.has(t.name)) {
      actions.push({ kind: 'create-topic', topic: t.name, partitions: t.partitions, replicationFactor: t.replicationFactor, configs: { ...t.configs } });
      continue;
    }
    const d = described.get(t.name);
    if (d) {
      if (t.partitions > d.partitions) actions.push({ kind: 'add-partitions', topic: t.name, from: d.partitions, to: t.partitions });
      else if (t.partitions < d.partitions) warnings.push(`${t.name}: has ${d.partitions} partitions, desired ${t.partitions}; Kafka cannot remove partitions (kept)`);
      if (t.replicationFactor !== d.replicationFactor) warnings.push(`${t.name}: replication factor is ${d.replicationFactor}, desired ${t.replicationFactor}; change it with a partition reassignment (kept)`);
    }
    const actual = configs[t.name] ?? {};
    const changes = Object.entries(t.configs)
      .filter(([k, v]) => actual[k] !== v)
      .map(([key, to]) => ({ key, from: actual[key] ?? null, to }));
    if (changes.length > 0) actions.push({ kind: 'alter-configs', topic: t.name, changes, configs: { ...t.configs } });
  }

  if (options.allowDelete) {
    const prefix = options.topicPrefix ?? '';
    const wanted = new Set(desired.topics.map((t) => t.name));
    for (const name of [...existing].sort()) {
      if (wanted.has(name) || !name.startsWith(prefix)) continue;
      if (FAMILIES.some((f) => name.slice(prefix.length).startsWith(f))) actions.push({ kind: 'delete-topic', topic: name });
    }
  }

  const applied = new Map((await appliedMigrations(clients.cassandra, desired.cassandra.keyspace)).map((m) => [m.version, m]));
  for (const m of desired.cassandra.migrations) {
    const a = applied.get(m.version);
    if (!a) actions.push({ kind: 'apply-migration', version: m.version, name: m.name, checksum: m.checksum });
    else if (a.checksum !== m.checksum) warnings.push(`migration ${m.version}-${m.name} changed after it was applied (checksum differs); write a new migration instead`);
  }
  return { actions, warnings };
}

/** One line per action, for the table of `fleetstream topology plan`. */
export function describeAction(a: TopologyAction): { action: string; target: string; detail: string } {
  switch (a.kind) {
    case 'create-topic':
      return { action: 'create topic', target: a.topic, detail: `partitions=${a.partitions} rf=${a.replicationFactor} ${Object.entries(a.configs).map(([k, v]) => `${k}=${v}`).join(' ')}`.trim() };
    case 'add-partitions':
      return { action: 'add partitions', target: a.topic, detail: `${a.from} -> ${a.to}` };
    case 'alter-configs':
      return { action: 'change config', target: a.topic, detail: a.changes.map((c) => `${c.key}: ${c.from ?? '(unset)'} -> ${c.to}`).join(', ') };
    case 'delete-topic':
      return { action: 'DELETE topic', target: a.topic, detail: 'not in the topology (--allow-delete)' };
    case 'apply-migration':
      return { action: 'apply migration', target: `${String(a.version).padStart(3, '0')}-${a.name}`, detail: a.checksum.slice(0, 12) };
  }
}
