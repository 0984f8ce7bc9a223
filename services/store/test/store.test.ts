// @servers kafka cassandra
import type cassandra from 'cassandra-driver';
import { DlqHeaders, startService } from '@fleetstream/stream';
import { storeDefinition } from '../src/index.ts';
import { dayOf } from '../src/event.ts';
import { brokers, cassandraClient, contactPoints, createTopics, dropKeyspace, enrichedEvent, migratedKeyspace, produce, readTopic, streamAdmin, suffix, waitFor } from './helpers/cluster.ts';

/** Events produced by the big test: the 100,000 (STORE_TEST_EVENTS lowers it for a quick local run). */
const TOTAL = Number(process.env.STORE_TEST_EVENTS ?? 100_000);
const DEVICES = 40;

const get = async (port: number, path: string) => {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text() };
};

describe('the store: telemetry.enriched -> Cassandra', () => {
  let client: cassandra.Client;
  let keyspace: string;

  beforeAll(async () => {
    client = cassandraClient();
    await client.connect();
    keyspace = (await migratedKeyspace(client)).cassandra.keyspace;
  });

  afterAll(async () => {
    await dropKeyspace(client, keyspace);
    await client.shutdown();
  });

  test(`${TOTAL} events with duplicates and out-of-order arrival become exactly the distinct rows; latest state is the newest event per device; invalid events go to the DLQ with their reason; offsets are committed to the end`, async () => {
    // Prepare: distinct events over 40 devices and 3 UTC days, 10% sent twice, all shuffled
    const input = `telemetry.enriched-${suffix()}`;
    const dlqTopic = `telemetry.dlq-${suffix()}`;
    const group = `store-${suffix()}`;
    await createTopics([
      { topic: input, partitions: 4 },
      { topic: dlqTopic, partitions: 1 },
    ]);
    const distinct = Math.round(TOTAL / 1.1);
    const start = Date.UTC(2024, 5, 10, 20, 0, 0);
    const events = Array.from({ length: distinct }, (_, i) => enrichedEvent(`dev-${i % DEVICES}`, start + Math.floor(i / DEVICES) * 300_000, i));
    const messages = events.map((e) => ({ key: String(e.deviceId), value: JSON.stringify(e) }));
    for (let i = 0; messages.length < TOTAL; i += 10) messages.push(messages[i % distinct]!);
    for (let i = messages.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [messages[i], messages[j]] = [messages[j]!, messages[i]!];
    }
    const invalid = [
      { key: 'dev-x', value: JSON.stringify({ ...enrichedEvent('dev-x', start, 1), deviceId: undefined }), reason: 'TELEMETRY_SCHEMA_INVALID' },
      { key: 'dev-y', value: JSON.stringify({ ...enrichedEvent('dev-y', start, 2), schemaVersion: 7 }), reason: 'TELEMETRY_UNSUPPORTED_SCHEMA_VERSION' },
      { key: 'dev-z', value: 'not json', reason: 'TELEMETRY_SCHEMA_INVALID' },
    ];
    messages.splice(100, 0, ...invalid.map(({ key, value }) => ({ key, value })));
    await produce(input, messages);

    // Act
    const { deps, shutdown } = await startService(storeDefinition, {
      env: {
        KAFKA_BROKERS: brokers().join(','),
        CASSANDRA_CONTACT_POINTS: contactPoints().join(','),
        CASSANDRA_KEYSPACE: keyspace,
        INPUT_TOPIC: input,
        DLQ_TOPIC: dlqTopic,
        CONSUMER_GROUP: group,
        HEALTH_PORT: '0',
        LOG_LEVEL: 'warn',
        COMMIT_INTERVAL_MS: '200',
      },
      handleSignals: false,
    });
    const admin = streamAdmin();
    await admin.connect();
    let metrics: string;
    try {
      const ends = await admin.fetchTopicOffsets(input);
      await waitFor(async () => {
        const committed = await admin.fetchCommitted(group, input);
        return ends.every((e) => committed.find((c) => c.partition === e.partition)?.offset === e.high) ? true : undefined;
      }, 'committed offsets at the end of the input', 240_000);
      expect((await get(deps.health.port, '/readyz')).status).toBe(200);
      metrics = (await get(deps.health.port, '/metrics')).body;
    } finally {
      await admin.disconnect();
      await shutdown();
    }

    // Assess: rows, partition by partition
    const expected = new Map<string, Set<string>>();
    for (const e of events) {
      const k = `${String(e.deviceId)}|${dayOf(e.eventTime as number)}`;
      if (!expected.has(k)) expected.set(k, new Set());
      expected.get(k)!.add(String(e.eventId));
    }
    let rows = 0;
    for (const [k, ids] of expected) {
      const [deviceId, day] = k.split('|');
      const rs = await client.execute(`SELECT event_id FROM ${keyspace}.positions_by_device_day WHERE device_id = ? AND day = ?`, [deviceId, day], { prepare: true, fetchSize: 10_000 });
      const got = rs.rows.map((r) => String(r.event_id));
      expect(got.length).toBe(ids.size);
      expect(new Set(got)).toEqual(ids);
      rows += got.length;
    }
    expect(rows).toBe(distinct);
    expect(expected.size).toBeGreaterThan(DEVICES); // the events span more than one day per device

    // Assess: newest state per device
    const newest = new Map<string, Record<string, unknown>>();
    for (const e of events) {
      const n = newest.get(String(e.deviceId));
      if (!n || (e.eventTime as number) > (n.eventTime as number)) newest.set(String(e.deviceId), e);
    }
    for (const [deviceId, e] of newest) {
      const rs = await client.execute(`SELECT event_id, event_time, WRITETIME(lat) AS wt FROM ${keyspace}.asset_latest_state WHERE device_id = ?`, [deviceId], { prepare: true });
      expect({ id: rs.first().event_id, time: (rs.first().event_time as Date).getTime(), wt: String(rs.first().wt) }).toEqual({ id: e.eventId, time: e.eventTime, wt: String((e.eventTime as number) * 1000) });
    }

    // Assess: DLQ
    const dead = (await readTopic(dlqTopic, { count: invalid.length })).map((r) => ({ key: r.key, value: r.value?.toString(), headers: r.headers }));
    expect(dead.map((d) => [d.key, d.value, d.headers[DlqHeaders.errorClass], d.headers[DlqHeaders.sourceTopic]]).sort()).toEqual(
      invalid.map((i) => [i.key, i.value, i.reason, input]).sort(),
    );
    expect(metrics).toContain(`fleetstream_dlq_total{service="store",reason="TELEMETRY_SCHEMA_INVALID"} 2`);
    expect(metrics).toContain(`fleetstream_dlq_total{service="store",reason="TELEMETRY_UNSUPPORTED_SCHEMA_VERSION"} 1`);
    expect(metrics).toContain(`fleetstream_records_out_total{service="store",topic="cassandra"} ${TOTAL}`);
    const written = Number(/fleetstream_store_rows_written_total\{service="store"\} (\d+)/.exec(metrics)?.[1]);
    expect(written).toBeGreaterThanOrEqual(TOTAL);
    expect(metrics).toMatch(/fleetstream_sink_concurrency\{service="store"\} \d+/);
    expect(metrics).toMatch(/fleetstream_end_to_end_latency_seconds_count\{service="store"\} \d+/);
  }, 300_000);
});
