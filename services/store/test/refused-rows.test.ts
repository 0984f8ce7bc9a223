// @servers kafka cassandra
import { fileURLToPath } from 'node:url';
import cassandra from 'cassandra-driver';
import { committedOffsets, startServiceProcess } from '@fleetstream/test-kit';
import { DlqHeaders, startService } from '@fleetstream/stream';
import { storeConfigSchema } from '../src/config.ts';
import { createStoreService } from '../src/service.ts';
import { brokers, cassandraClient, contactPoints, createTopics, dropKeyspace, enrichedEvent, migratedKeyspace, produce, readTopic, suffix, waitFor } from './helpers/cluster.ts';

/**
 * A real Cassandra client whose statements for one device fail the way Cassandra refuses a row
 * for good (an "invalid request", code 0x2200): the stand-in for a row no retry can write.
 */
function refusingClient(keyspace: string, refusedDevice: string): cassandra.Client {
  const real = cassandraClient();
  const refuse = (params: unknown) => JSON.stringify(params ?? []).includes(refusedDevice);
  const invalid = () => Object.assign(new Error('Invalid request: refused for the test'), { name: 'ResponseError', code: 0x2200 });
  return new Proxy(real, {
    get(target, prop, receiver) {
      if (prop === 'execute') {
        return (query: string, params: unknown, options: unknown) => (refuse(params) && query.includes(keyspace) ? Promise.reject(invalid()) : target.execute(query, params as never, options as never));
      }
      if (prop === 'batch') {
        return (queries: { query: string; params: unknown }[], options: unknown) => (queries.some((q) => refuse(q.params)) ? Promise.reject(invalid()) : target.batch(queries as never, options as never));
      }
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

const ENTRY = fileURLToPath(new URL('../src/index.ts', import.meta.url));

describe('the store when Cassandra refuses a row for good', () => {
  test('the refused events go to the DLQ with reason STREAM_SINK_REFUSED, the rest of the chunk is written and the offsets are committed past them', async () => {
    // Prepare
    const admin = cassandraClient();
    await admin.connect();
    const keyspace = (await migratedKeyspace(admin)).cassandra.keyspace;
    const input = `telemetry.enriched-${suffix()}`;
    const dlqTopic = `telemetry.dlq-${suffix()}`;
    await createTopics([
      { topic: input, partitions: 1 },
      { topic: dlqTopic, partitions: 1 },
    ]);
    const t0 = Date.UTC(2024, 6, 1, 12);
    const good = Array.from({ length: 20 }, (_, i) => enrichedEvent('dev-good', t0 + i * 1000, i));
    const bad = Array.from({ length: 3 }, (_, i) => enrichedEvent('dev-refused', t0 + i * 1000, i));
    await produce(input, [...good, ...bad].map((e) => ({ key: String(e.deviceId), value: JSON.stringify(e) })));
    const client = refusingClient(keyspace, 'dev-refused');
    const env = {
      KAFKA_BROKERS: brokers().join(','),
      CASSANDRA_CONTACT_POINTS: contactPoints().join(','),
      CASSANDRA_KEYSPACE: keyspace,
      INPUT_TOPIC: input,
      DLQ_TOPIC: dlqTopic,
      CONSUMER_GROUP: `store-${suffix()}`,
      HEALTH_PORT: '0',
      LOG_LEVEL: 'silent',
    };

    // Act
    const { shutdown } = await startService({ name: 'store', version: 'test', schema: storeConfigSchema, create: (deps) => createStoreService(deps, { client }) }, { env, handleSignals: false });
    const rows = await waitFor(async () => {
      const rs = await admin.execute(`SELECT count(*) AS n FROM ${keyspace}.positions_by_device_day WHERE device_id = ? AND day = ?`, ['dev-good', '2024-07-01'], { prepare: true });
      const n = Number(rs.first().get('n'));
      return n === good.length ? n : undefined;
    }, 'the good rows', 60_000);
    const deadRecords = await readTopic(dlqTopic, { count: bad.length });
    const dead = deadRecords.map((r) => r.headers);
    await waitFor(async () => (await committedOffsets(env.CONSUMER_GROUP, input)).get(0) === 23n, 'the commit of offset 23');
    await shutdown();
    await client.shutdown();
    await dropKeyspace(admin, keyspace);
    await admin.shutdown();

    // Assess
    expect(rows).toBe(20);
    expect(dead).toHaveLength(3);
    expect(dead.every((d) => d[DlqHeaders.errorClass] === 'STREAM_SINK_REFUSED' && d[DlqHeaders.sourceTopic] === input)).toBe(true);
    expect(dead.map((d) => d[DlqHeaders.sourceOffset])).toEqual(['20', '21', '22']);
    expect(deadRecords.map((r) => JSON.parse(r.value!.toString()) as { deviceId: string }).every((e) => e.deviceId === 'dev-refused')).toBe(true);
    expect((await committedOffsets(env.CONSUMER_GROUP, input)).get(0)).toBe(23n);
  }, 120_000);
});

describe('the store when its table does not exist', () => {
  test('the store process stops with exit code 1 and says which table is missing, instead of retrying or dead-lettering', async () => {
    // Prepare
    const admin = cassandraClient();
    await admin.connect();
    const keyspace = `store_test_${suffix()}`;
    await admin.execute(`CREATE KEYSPACE ${keyspace} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`);
    const input = `telemetry.enriched-${suffix()}`;
    const dlqTopic = `telemetry.dlq-${suffix()}`;
    await createTopics([input, dlqTopic]);
    const t0 = Date.UTC(2024, 6, 1, 12);
    await produce(input, Array.from({ length: 5 }, (_, i) => ({ key: 'dev-a', value: JSON.stringify(enrichedEvent('dev-a', t0 + i * 1000, i)) })));
    const group = `store-${suffix()}`;
    // Act
    const store = startServiceProcess(ENTRY, {
      CASSANDRA_CONTACT_POINTS: contactPoints().join(','),
      CASSANDRA_KEYSPACE: keyspace,
      INPUT_TOPIC: input,
      DLQ_TOPIC: dlqTopic,
      CONSUMER_GROUP: group,
      LOG_LEVEL: 'silent',
    });
    const code = await store.exited;
    const stderr = store.stderr();
    const offsets = await committedOffsets(group, input);
    const dlqSize = (await readTopic(dlqTopic)).length;
    await dropKeyspace(admin, keyspace);
    await admin.shutdown();

    // Assess
    expect(code).toBe(1);
    expect(stderr).toMatch(/^store: stopped: .*table positions_by_device_day does not exist/m);
    expect(offsets.get(0) ?? -1n).toBeLessThanOrEqual(0n);
    expect(dlqSize).toBe(0);
  }, 120_000);
});
