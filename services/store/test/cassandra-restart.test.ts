// @servers kafka cassandra
import { createWriteStream } from 'node:fs';
import type cassandra from 'cassandra-driver';
import { startService } from '@fleetstream/stream';
import { restart, status } from '@fleetstream/devstack';
import { storeDefinition } from '../src/index.ts';
import { dayOf } from '../src/event.ts';
import { brokers, cassandraClient, contactPoints, createTopics, dropKeyspace, enrichedEvent, migratedKeyspace, rawKafka, streamAdmin, suffix, waitFor } from './helpers/cluster.ts';

const DEVICES = 20;
/** Events produced per tick while the test runs (one tick every 100 ms: about 200 events/s). */
const PER_TICK = 20;

const statusOf = async (port: number, path: string) => {
  try {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(2_000) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0; // no answer at all
  }
};
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Restarting Cassandra must act on the servers this test talks to: the devstack's state has to
 * name CASSANDRA_CONTACT_POINTS (with a private stack, export its FLEETSTREAM_DEVSTACK_DIR too).
 */
function assertDevstackIsTheTarget(): void {
  const s = status();
  const target = contactPoints()[0];
  if (s.status !== 'up' || s.state.cassandra.contactPoints !== target) {
    throw new Error(`this test restarts the devstack's Cassandra, but the devstack (${s.status === 'up' ? s.state.cassandra.contactPoints : s.status}) is not CASSANDRA_CONTACT_POINTS=${target}`);
  }
}

describe('the store across a Cassandra crash', () => {
  let client: cassandra.Client;
  let keyspace: string;

  beforeAll(async () => {
    assertDevstackIsTheTarget();
    client = cassandraClient();
    await client.connect();
    keyspace = (await migratedKeyspace(client)).cassandra.keyspace;
    // The devstack runs Cassandra with -Dcassandra.unsafesystem=true: schema changes are not in the
    // commit log, so a kill -9 would lose a keyspace created since the last clean start (and the
    // rows with it). A clean restart (drain, flush) makes the test's schema durable first.
    await restart('cassandra');
    await waitFor(async () => (await client.execute(`SELECT * FROM ${keyspace}.positions_by_device_day LIMIT 1`), true), 'Cassandra after the clean restart', 120_000);
  }, 300_000);

  afterAll(async () => {
    await dropKeyspace(client, keyspace);
    await client.shutdown();
  });

  test('Cassandra killed for 20 s mid-stream and restarted: /healthz stays 200, /readyz turns 503 within seconds, the store resumes by itself, and in the end every event is a row and the offsets are committed to the end', async () => {
    // Prepare: a fresh topic, the store consuming it, and a producer that keeps sending
    const input = `telemetry.enriched-${suffix()}`;
    const dlqTopic = `telemetry.dlq-${suffix()}`;
    const group = `store-${suffix()}`;
    await createTopics([
      { topic: input, partitions: 4 },
      { topic: dlqTopic, partitions: 1 },
    ]);
    const { deps, shutdown } = await startService(storeDefinition, {
      env: {
        KAFKA_BROKERS: brokers().join(','),
        CASSANDRA_CONTACT_POINTS: contactPoints().join(','),
        CASSANDRA_KEYSPACE: keyspace,
        INPUT_TOPIC: input,
        DLQ_TOPIC: dlqTopic,
        CONSUMER_GROUP: group,
        HEALTH_PORT: '0',
        LOG_LEVEL: process.env.STORE_TEST_LOG_LEVEL ?? 'error',
        COMMIT_INTERVAL_MS: '200',
      },
      handleSignals: false,
      ...(process.env.STORE_TEST_LOG_FILE ? { logDestination: createWriteStream(process.env.STORE_TEST_LOG_FILE) } : {}),
    });
    const port = deps.health.port;
    const start = Date.UTC(2024, 5, 10, 23, 50, 0); // the stream crosses midnight: two days per device
    const events: Record<string, unknown>[] = [];
    const producer = rawKafka().producer({ idempotent: true });
    await producer.connect();
    let producing = true;
    const feeding = (async () => {
      while (producing) {
        const batch = Array.from({ length: PER_TICK }, () => {
          const n = events.length;
          const e = enrichedEvent(`dev-${n % DEVICES}`, start + Math.floor(n / DEVICES) * 1_000, n);
          events.push(e);
          return e;
        });
        await producer.send({ topic: input, acks: -1, messages: batch.map((e) => ({ key: String(e.deviceId), value: JSON.stringify(e) })) });
        await sleep(100);
      }
    })();
    const admin = streamAdmin();
    await admin.connect();
    const written = async () => Number(/fleetstream_records_out_total\{service="store",topic="cassandra"\} (\d+)/.exec(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text())?.[1] ?? 0);
    let rowsBeforeKill: number;
    const healthzWhileDown: number[] = [];
    let readyzDownAfterMs = -1;
    let writtenWhileDown = -1;
    try {
      await waitFor(async () => ((await statusOf(port, '/readyz')) === 200 && (await written()) >= 1_000 ? true : undefined), 'the store writing', 120_000);
      rowsBeforeKill = await written();

      // Act: kill -9 Cassandra, keep it down 20 s while events keep coming, start it again
      await restart('cassandra', {
        signal: 'SIGKILL',
        downMs: 20_000,
        whileDown: async () => {
          const t0 = Date.now();
          while (Date.now() - t0 < 15_000) {
            healthzWhileDown.push(await statusOf(port, '/healthz'));
            if (readyzDownAfterMs < 0 && (await statusOf(port, '/readyz')) === 503) readyzDownAfterMs = Date.now() - t0;
            await sleep(500);
          }
          writtenWhileDown = await written();
        },
      });
      await waitFor(async () => ((await statusOf(port, '/readyz')) === 200 ? true : undefined), '/readyz 200 after the restart', 180_000);
      await waitFor(async () => ((await written()) > writtenWhileDown + 1_000 ? true : undefined), 'writes after the restart', 180_000).catch(async (err: unknown) => {
        console.error(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
        throw err;
      });
      producing = false;
      await feeding;
      const ends = await admin.fetchTopicOffsets(input);
      await waitFor(async () => {
        const committed = await admin.fetchCommitted(group, input);
        return ends.every((e) => committed.find((c) => c.partition === e.partition)?.offset === e.high) ? true : undefined;
      }, 'committed offsets at the end of the input', 240_000);
    } finally {
      producing = false;
      await feeding.catch(() => undefined);
      await producer.disconnect();
      await admin.disconnect();
      await shutdown();
    }

    // Assess: alive throughout, not ready within a few seconds, writing before and after
    expect(rowsBeforeKill).toBeGreaterThanOrEqual(1_000);
    expect(healthzWhileDown.length).toBeGreaterThanOrEqual(10);
    expect(healthzWhileDown.filter((s) => s !== 200)).toEqual([]);
    expect(readyzDownAfterMs).toBeGreaterThanOrEqual(0);
    expect(readyzDownAfterMs).toBeLessThan(10_000);

    // Assess: every event produced is a row, partition by partition; nothing went to the DLQ
    const expected = new Map<string, Set<string>>();
    for (const e of events) {
      const k = `${String(e.deviceId)}|${dayOf(e.eventTime as number)}`;
      if (!expected.has(k)) expected.set(k, new Set());
      expected.get(k)!.add(String(e.eventId));
    }
    const missing: string[] = [];
    const unexpected: string[] = [];
    for (const [k, ids] of expected) {
      const [deviceId, day] = k.split('|');
      // The test's own session reconnects on its driver's backoff, which may lag the store's: retry.
      const rs = await waitFor(() => client.execute(`SELECT event_id FROM ${keyspace}.positions_by_device_day WHERE device_id = ? AND day = ?`, [deviceId, day], { prepare: true, fetchSize: 50_000 }), "the test's Cassandra session after the restart", 120_000);
      const got = new Set(rs.rows.map((r) => String(r.event_id)));
      for (const id of ids) if (!got.has(id)) missing.push(`${k}|${id}`);
      for (const id of got) if (!ids.has(id)) unexpected.push(`${k}|${id}`);
    }
    expect({ missing, unexpected }).toEqual({ missing: [], unexpected: [] });
    const dlqAdmin = streamAdmin();
    await dlqAdmin.connect();
    const dlqEnds = await dlqAdmin.fetchTopicOffsets(dlqTopic);
    await dlqAdmin.disconnect();
    expect(dlqEnds.map((p) => p.high)).toEqual(['0']);
  }, 600_000);
});
