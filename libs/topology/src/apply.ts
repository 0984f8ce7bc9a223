import { TopologyError } from './errors.ts';
import type { DesiredTopology } from './desired.ts';
import { applyMigration } from './migrations.ts';
import type { TopologyAction, TopologyClients } from './plan.ts';

/**
 * Carries out a plan's actions in order (topics first, then migrations by version). A
 * `delete-topic` needs `allowDelete`, else DELETE_NOT_ALLOWED before anything is done.
 * `onAction` is called after each action succeeded.
 */
export async function apply(
  actions: TopologyAction[],
  desired: DesiredTopology,
  clients: TopologyClients,
  options: { allowDelete?: boolean; onAction?: (a: TopologyAction) => void } = {},
): Promise<void> {
  if (!options.allowDelete && actions.some((a) => a.kind === 'delete-topic')) {
    throw new TopologyError('TOPOLOGY_DELETE_NOT_ALLOWED', 'the plan deletes topics; pass --allow-delete to apply it');
  }
  const migrations = new Map(desired.cassandra.migrations.map((m) => [m.version, m]));
  for (const a of actions) {
    switch (a.kind) {
      case 'create-topic':
        await clients.admin.createTopics([{ topic: a.topic, numPartitions: a.partitions, replicationFactor: a.replicationFactor, configs: a.configs }]);
        break;
      case 'add-partitions':
        await clients.admin.createPartitions(a.topic, a.to);
        break;
      case 'alter-configs':
        // AlterConfigs replaces the topic's dynamic configs: always the full desired set.
        await clients.admin.alterConfigs(a.topic, a.configs);
        break;
      case 'delete-topic':
        await clients.admin.deleteTopics([a.topic]);
        break;
      case 'apply-migration': {
        const m = migrations.get(a.version);
        if (!m) throw new TopologyError('TOPOLOGY_INVALID', `migration ${a.version} is not in the topology`);
        await applyMigration(clients.cassandra, desired.cassandra, m);
        break;
      }
    }
    options.onAction?.(a);
  }
}
