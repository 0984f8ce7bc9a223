// @servers kafka cassandra
import type cassandra from 'cassandra-driver';
import type { StreamAdmin } from '@fleetstream/stream';
import { apply, appliedMigrations, loadTopology, plan, type DesiredTopology } from '../src/index.ts';
import { cassandraClient, dropKeyspace, streamAdmin, suffix } from './helpers/cluster.ts';

describe('topology plan / apply on the real Kafka and Cassandra', () => {
  let admin: StreamAdmin;
  let client: cassandra.Client;
  let desired: DesiredTopology;
  let prefix: string;

  beforeAll(async () => {
    admin = streamAdmin();
    await admin.connect();
    client = cassandraClient();
    await client.connect();
    prefix = `topo-${suffix()}-`;
    desired = loadTopology(undefined, { topicPrefix: prefix, keyspace: `topo_${suffix()}`, positionsTtlSeconds: 3600 });
    // Fewer partitions than production keeps the shared broker light; the logic is the same.
    for (const t of desired.topics) t.partitions = Math.min(t.partitions, 2);
  });

  afterAll(async () => {
    await admin.deleteTopics(desired.topics.map((t) => t.name)).catch(() => undefined);
    await dropKeyspace(client, desired.cassandra.keyspace);
    await admin.disconnect();
    await client.shutdown();
  });

  test('plan on an empty cluster lists every topic and migration; apply; the next plan is empty; a raised partition count is planned and applied', async () => {
    // Act: plan on nothing
    const first = await plan(desired, { admin, cassandra: client });

    // Assess
    expect(first.warnings).toEqual([]);
    expect(first.actions.map((a) => `${a.kind} ${'topic' in a ? a.topic : a.version}`)).toEqual([
      `create-topic ${prefix}telemetry.raw`,
      `create-topic ${prefix}telemetry.parsed`,
      `create-topic ${prefix}telemetry.enriched`,
      `create-topic ${prefix}telemetry.dlq`,
      `create-topic ${prefix}reference.assets`,
      `create-topic ${prefix}sql-source.checkpoints`,
      'apply-migration 1',
      'apply-migration 2',
      'apply-migration 3',
      'apply-migration 4',
    ]);
    expect(first.actions.find((a) => a.kind === 'create-topic' && a.topic === `${prefix}reference.assets`)).toMatchObject({
      partitions: 2,
      replicationFactor: 1,
      configs: { 'cleanup.policy': 'compact', 'retention.ms': '-1', 'min.insync.replicas': '1' },
    });

    // Act: apply, then plan again
    await apply(first.actions, desired, { admin, cassandra: client });
    const second = await plan(desired, { admin, cassandra: client });

    // Assess
    expect(second).toEqual({ actions: [], warnings: [] });
    const configs = await admin.describeConfigs([`${prefix}reference.assets`, `${prefix}sql-source.checkpoints`, `${prefix}telemetry.raw`], ['cleanup.policy', 'retention.ms']);
    expect(configs[`${prefix}reference.assets`]).toEqual({ 'cleanup.policy': 'compact', 'retention.ms': '-1' });
    expect(configs[`${prefix}sql-source.checkpoints`]).toEqual({ 'cleanup.policy': 'compact', 'retention.ms': '-1' });
    expect(configs[`${prefix}telemetry.raw`]).toEqual({ 'cleanup.policy': 'delete', 'retention.ms': '259200000' });
    const applied = await appliedMigrations(client, desired.cassandra.keyspace);
    expect(applied.map((m) => [m.version, m.name, m.checksum])).toEqual(desired.cassandra.migrations.map((m) => [m.version, m.name, m.checksum]));
    const ttl = await client.execute('SELECT default_time_to_live FROM system_schema.tables WHERE keyspace_name = ? AND table_name = ?', [desired.cassandra.keyspace, 'positions_by_device_day']);
    expect(ttl.first().default_time_to_live).toBe(3600);

    // Act: raise a partition count and change a config in the desired topology
    const enriched = desired.topics.find((t) => t.name === `${prefix}telemetry.enriched`)!;
    enriched.partitions = 3;
    enriched.configs = { ...enriched.configs, 'retention.ms': '86400000' };
    const third = await plan(desired, { admin, cassandra: client });
    await apply(third.actions, desired, { admin, cassandra: client });
    const fourth = await plan(desired, { admin, cassandra: client });

    // Assess
    expect(third.actions).toEqual([
      { kind: 'add-partitions', topic: enriched.name, from: 2, to: 3 },
      { kind: 'alter-configs', topic: enriched.name, changes: [{ key: 'retention.ms', from: '604800000', to: '86400000' }], configs: enriched.configs },
    ]);
    expect(fourth).toEqual({ actions: [], warnings: [] });
    expect(await admin.describeTopics([enriched.name])).toEqual([{ topic: enriched.name, partitions: 3, replicationFactor: 1 }]);
  });

  test('fewer partitions in the file is a warning, never an action; an unlisted topic is deleted only with allowDelete', async () => {
    // Prepare
    const lowered: DesiredTopology = { ...desired, topics: desired.topics.map((t) => ({ ...t, partitions: 1 })).filter((t) => !t.name.endsWith('telemetry.raw')) };

    // Act
    const plain = await plan(lowered, { admin, cassandra: client });
    const withDelete = await plan(lowered, { admin, cassandra: client }, { allowDelete: true, topicPrefix: prefix });

    // Assess
    expect(plain.actions).toEqual([]);
    expect(plain.warnings).toHaveLength(lowered.topics.filter((t) => !t.name.endsWith('sql-source.checkpoints')).length);
    expect(withDelete.actions).toEqual([{ kind: 'delete-topic', topic: `${prefix}telemetry.raw` }]);
    await expect(apply(withDelete.actions, lowered, { admin, cassandra: client })).rejects.toMatchObject({ code: 'TOPOLOGY_DELETE_NOT_ALLOWED' });
  });
});
