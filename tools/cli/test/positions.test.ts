// @servers kafka cassandra
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { AdaptiveConcurrency, createKafkajsClient } from '@fleetstream/stream';
import { createCassandraClient, decodeStoredEvent, PositionWriter } from '@fleetstream/store/lib';
import { apply, loadTopology, plan } from '@fleetstream/topology';
import { uuidFromKey } from '@fleetstream/telemetry';
import type cassandra from 'cassandra-driver';

const BIN = fileURLToPath(new URL('../bin/fleetstream.js', import.meta.url));
const brokers = process.env.KAFKA_BROKERS ?? '127.0.0.1:19092';
const contactPoints = process.env.CASSANDRA_CONTACT_POINTS ?? '127.0.0.1:19042';
const suffix = () => randomUUID().replace(/-/g, '').slice(0, 10);

function run(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/** A valid (UUID) event id that the assertions can compute again. */
const testId = (deviceId: string, eventTime: number, n: number) => uuidFromKey(`${deviceId}-${eventTime}`, n);

const event = (deviceId: string, eventTime: number, n: number) =>
  decodeStoredEvent(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 1,
        eventId: testId(deviceId, eventTime, n),
        deviceId,
        eventTime,
        receivedAt: eventTime + 1000,
        position: { lat: 54.5 + n / 1000, lon: 25.25, altitude: 100, heading: 90, speed: 40 + n, satellites: 8 },
        priority: 0,
        eventIoId: 0,
        io: {},
        ignition: n % 2 === 0,
        asset: n === 0 ? null : { assetId: 'truck-7', customerId: 'c1', model: 'FMB920', owner: 'ops', tags: [] },
        enrichment: n === 0 ? 'missing' : 'ok',
      }),
    ),
  );

describe('fleetstream positions', () => {
  let client: cassandra.Client;
  let keyspace: string;
  const day1 = Date.UTC(2024, 6, 1, 23, 0, 0);
  const day2 = Date.UTC(2024, 6, 2, 1, 0, 0);

  beforeAll(async () => {
    client = createCassandraClient({ contactPoints: contactPoints.split(','), localDataCenter: 'datacenter1' });
    await client.connect();
    const desired = loadTopology(undefined, { keyspace: `cli_test_${suffix()}`, positionsTtlSeconds: 3600 });
    desired.topics = [];
    keyspace = desired.cassandra.keyspace;
    const admin = createKafkajsClient({ brokers: brokers.split(','), clientId: 'cli-test' }).admin();
    await admin.connect();
    await apply((await plan(desired, { admin, cassandra: client })).actions, desired, { admin, cassandra: client });
    await admin.disconnect();
    // 3 positions on day 1 (n = 0..2), 2 on day 2 (n = 3..4), one of another device
    const writer = new PositionWriter({ sink: client, keyspace, concurrency: new AdaptiveConcurrency({ min: 1, max: 8 }) });
    await writer.write([event('dev-1', day1, 0), event('dev-1', day1 + 60_000, 1), event('dev-1', day1 + 120_000, 2), event('dev-1', day2, 3), event('dev-1', day2 + 60_000, 4), event('dev-2', day1, 9)]);
  });

  afterAll(async () => {
    await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`).catch(() => undefined);
    await client.shutdown();
  });

  test('prints the last N positions newest first across days as a table', async () => {
    // Act
    const { code, stdout } = await run(['positions', 'dev-1', '--limit', '3'], { CASSANDRA_CONTACT_POINTS: contactPoints, CASSANDRA_KEYSPACE: keyspace });

    // Assess
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]!.split(/\s{2,}/)).toEqual(['EVENT TIME', 'LAT', 'LON', 'SPEED', 'HEADING', 'IGNITION', 'ASSET', 'ENRICHMENT']);
    expect(lines.slice(1).map((l) => l.split(/\s{2,}/))).toEqual([
      ['2024-07-02T01:01:00.000Z', '54.504000', '25.250000', '44.0', '90', 'on', 'truck-7', 'ok'],
      ['2024-07-02T01:00:00.000Z', '54.503000', '25.250000', '43.0', '90', 'off', 'truck-7', 'ok'],
      ['2024-07-01T23:02:00.000Z', '54.502000', '25.250000', '42.0', '90', 'on', 'truck-7', 'ok'],
    ]);
  });

  test('--from/--to select a time range (ISO or ms) and --json prints one object per line', async () => {
    // Act
    const { code, stdout } = await run(['positions', 'dev-1', '--from', new Date(day1).toISOString(), '--to', String(day2), '--json'], {
      CASSANDRA_CONTACT_POINTS: contactPoints,
      CASSANDRA_KEYSPACE: keyspace,
    });

    // Assess
    expect(code).toBe(0);
    const rows = stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows.map((r) => [r.eventTime, r.eventId, r.assetId, r.enrichment])).toEqual([
      ['2024-07-02T01:00:00.000Z', testId('dev-1', day2, 3), 'truck-7', 'ok'],
      ['2024-07-01T23:02:00.000Z', testId('dev-1', day1 + 120_000, 2), 'truck-7', 'ok'],
      ['2024-07-01T23:01:00.000Z', testId('dev-1', day1 + 60_000, 1), 'truck-7', 'ok'],
      ['2024-07-01T23:00:00.000Z', testId('dev-1', day1, 0), null, 'missing'],
    ]);
  });

  test('a device without positions prints a line saying so and exits 0', async () => {
    const { code, stdout } = await run(['positions', 'dev-unknown'], { CASSANDRA_CONTACT_POINTS: contactPoints, CASSANDRA_KEYSPACE: keyspace });
    expect({ code, stdout }).toEqual({ code: 0, stdout: 'no positions for dev-unknown\n' });
  });

  test.each([
    [['positions'], 'expected exactly one device id'],
    [['positions', 'dev-1', '--limit', '0'], '--limit must be an integer'],
    [['positions', 'dev-1', '--from', 'yesterday'], '--from must be an ISO 8601 time'],
    [['positions', 'dev-1', '--from', '2000', '--to', '1000'], '--from is after --to'],
  ])('bad input %j exits 2 with a one-line error', async (args, message) => {
    const { code, stderr } = await run(args, { CASSANDRA_CONTACT_POINTS: contactPoints, CASSANDRA_KEYSPACE: keyspace });
    expect(code).toBe(2);
    expect(stderr.split('\n')[0]).toContain(`fleetstream positions: ${message}`);
  });
});

describe('fleetstream positions and topology read the connection variables as the services do', () => {
  test.each([
    [['positions', 'dev-1'], {}, 'fleetstream positions: CASSANDRA_CONTACT_POINTS: is required'],
    [['positions', 'dev-1'], { CASSANDRA_CONTACT_POINTS: '127.0.0.1:1', CASSANDRA_USERNAME: 'ops' }, 'fleetstream positions: CASSANDRA_PASSWORD: is required when CASSANDRA_USERNAME is set'],
    [['positions', 'dev-1'], { CASSANDRA_CONTACT_POINTS: '127.0.0.1:1', CASSANDRA_SSL_CA_FILE: '/nonexistent.pem' }, 'fleetstream positions: CASSANDRA_SSL_CA_FILE: is set but CASSANDRA_SSL is false'],
    [['positions', 'dev-1'], { CASSANDRA_CONTACT_POINTS: '127.0.0.1:1', CASSANDRA_KEYSPACE: 'no-dashes' }, 'fleetstream positions: CASSANDRA_KEYSPACE: must be a Cassandra identifier'],
    [['topology', 'plan'], { KAFKA_BROKERS: '127.0.0.1:1', KAFKA_SASL_MECHANISM: 'scram-sha-512', CASSANDRA_CONTACT_POINTS: '127.0.0.1:1' }, 'fleetstream topology: KAFKA_SASL_USERNAME: is required when KAFKA_SASL_MECHANISM is set'],
  ])('%j with %j exits 2 naming the variable', async (args, env, message) => {
    const { code, stderr } = await run(args, env);
    expect(code).toBe(2);
    expect(stderr.split('\n')[0]).toContain(message);
  });
});

describe('fleetstream topology', () => {
  test('plan --json lists every topic and migration on a fresh prefix and keyspace; bad usage exits 2', async () => {
    // Prepare
    const prefix = `cli-${suffix()}-`;
    const env = { KAFKA_BROKERS: brokers, CASSANDRA_CONTACT_POINTS: contactPoints, CASSANDRA_KEYSPACE: `cli_topo_${suffix()}` };

    // Act
    const planned = await run(['topology', 'plan', '--json', '--topic-prefix', prefix], env);
    const bad = await run(['topology', 'destroy'], env);
    const noEnv = await run(['topology', 'plan'], {});

    // Assess
    expect(planned.code).toBe(0);
    const p = JSON.parse(planned.stdout) as { actions: { kind: string; topic?: string; version?: number }[]; warnings: string[] };
    expect(p.actions.map((a) => a.topic ?? a.version)).toEqual([
      `${prefix}telemetry.raw`, `${prefix}telemetry.parsed`, `${prefix}telemetry.enriched`, `${prefix}telemetry.dlq`, `${prefix}reference.assets`, `${prefix}sql-source.checkpoints`, 1, 2, 3, 4,
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.split('\n')[0]).toBe('fleetstream topology: expected plan or apply, got destroy');
    expect(noEnv.code).toBe(2);
    expect(noEnv.stderr.split('\n')[0]).toBe('fleetstream topology: KAFKA_BROKERS: is required (must be a comma-separated list of host:port)');
  });
});
