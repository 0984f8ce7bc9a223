// @servers kafka cassandra
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type cassandra from 'cassandra-driver';
import { ConfigError, loadConfig } from '@fleetstream/stream';
import { downSecure, freePort, secureEnv, upSecure, type SecureStackState } from '@fleetstream/devstack';
import { cassandraConnection, createCassandraClient } from '../src/cassandra-client.ts';
import { storeConfigSchema } from '../src/config.ts';

/** The store's config as the service reads it (the Kafka variables are not used here). */
const storeConfig = (env: Record<string, string | undefined>) => loadConfig(storeConfigSchema, { KAFKA_BROKERS: '127.0.0.1:1', ...env });

/** Connects and runs one query; resolves to the error, or undefined when it worked. */
async function connectError(client: cassandra.Client): Promise<Error & { innerErrors?: Record<string, Error> }> {
  try {
    await client.connect();
    await client.execute('SELECT release_version FROM system.local');
  } catch (err) {
    return err as Error;
  } finally {
    await client.shutdown().catch(() => undefined);
  }
  throw new Error('connected, but the test expected a failure');
}

const innerNames = (err: { innerErrors?: Record<string, Error> }) => Object.values(err.innerErrors ?? {}).map((e) => e.name);
const innerMessages = (err: { innerErrors?: Record<string, Error> }) => Object.values(err.innerErrors ?? {}).map((e) => e.message).join(' ');

describe('the store against Cassandra with PasswordAuthenticator and client TLS (the secure devstack)', () => {
  let state: SecureStackState;
  let env: Record<string, string>;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fleetstream-secure-cql-'));
    const ports = { cassandra: await freePort(), cassandraStorage: await freePort(), cassandraJmx: await freePort() };
    ({ state } = await upSecure({ dataDir: dir, servers: ['cassandra'], ports }));
    env = secureEnv(state);
  }, 240_000);

  afterAll(async () => {
    await downSecure(dir);
  }, 60_000);

  test('the validated config (CASSANDRA_SSL, CASSANDRA_SSL_CA_FILE, CASSANDRA_USERNAME/PASSWORD) connects over TLS and writes and reads a row', async () => {
    // Prepare
    const keyspace = `secure_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
    const client = createCassandraClient(cassandraConnection(storeConfig(env)));

    // Act
    await client.connect();
    await client.execute(`CREATE KEYSPACE ${keyspace} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`);
    await client.execute(`CREATE TABLE ${keyspace}.t (id text PRIMARY KEY, v int)`);
    await client.execute(`INSERT INTO ${keyspace}.t (id, v) VALUES (?, ?)`, ['device-1', 42]);
    const rs = await client.execute(`SELECT id, v FROM ${keyspace}.t WHERE id = ?`, ['device-1']);
    await client.execute(`DROP KEYSPACE ${keyspace}`);
    await client.shutdown();

    // Assess
    expect(rs.rows.map((r) => ({ id: r.get('id') as string, v: r.get('v') as number }))).toEqual([{ id: 'device-1', v: 42 }]);
  }, 60_000);

  test('without credentials the connection fails with an AuthenticationError', async () => {
    // Prepare
    const client = createCassandraClient(cassandraConnection(storeConfig({ ...env, CASSANDRA_USERNAME: undefined, CASSANDRA_PASSWORD: undefined })));

    // Act
    const err = await connectError(client);

    // Assess
    expect(err.name).toBe('NoHostAvailableError');
    expect(innerNames(err)).toEqual(['AuthenticationError']);
  }, 30_000);

  test('a wrong password fails with an AuthenticationError whose message holds no password', async () => {
    // Prepare
    const wrong = `wrong${randomUUID().replace(/-/g, '')}`;
    const client = createCassandraClient(cassandraConnection(storeConfig({ ...env, CASSANDRA_PASSWORD: wrong })));

    // Act
    const err = await connectError(client);

    // Assess
    expect(innerNames(err)).toEqual(['AuthenticationError']);
    expect(`${err.message} ${innerMessages(err)}`).not.toContain(wrong);
    expect(`${err.message} ${innerMessages(err)}`).not.toContain(state.credentials.password);
  }, 30_000);

  test('a client without TLS is not served by the encrypted port', async () => {
    // Prepare
    const client = createCassandraClient(cassandraConnection(storeConfig({ ...env, CASSANDRA_SSL: 'false', CASSANDRA_SSL_CA_FILE: undefined })));

    // Act
    const err = await connectError(client);

    // Assess
    expect(err.name).toBe('NoHostAvailableError');
  }, 30_000);
});

describe("the store's Cassandra TLS and credential settings are validated at start", () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleetstream-cql-config-'));
  const notPem = join(dir, 'not-a-cert.txt');
  writeFileSync(notPem, 'hello');

  test.each([
    ['CASSANDRA_SSL_CA_FILE', { CASSANDRA_SSL_CA_FILE: join(dir, 'ca.pem') }],
    ['CASSANDRA_SSL_CA_FILE', { CASSANDRA_SSL: 'true', CASSANDRA_SSL_CA_FILE: join(dir, 'missing.pem') }],
    ['CASSANDRA_SSL_CA_FILE', { CASSANDRA_SSL: 'true', CASSANDRA_SSL_CA_FILE: notPem }],
    ['CASSANDRA_PASSWORD', { CASSANDRA_USERNAME: 'fleetstream' }],
    ['CASSANDRA_USERNAME', { CASSANDRA_PASSWORD: 'secret-pw-1' }],
    ['CASSANDRA_SSL', { CASSANDRA_SSL: 'maybe' }],
  ])('a ConfigError names %s', (variable, bad) => {
    // Act
    const act = () => cassandraConnection(storeConfig({ CASSANDRA_CONTACT_POINTS: '127.0.0.1:9042', ...bad }));

    // Assess
    expect(act).toThrow(ConfigError);
    try {
      act();
    } catch (err) {
      expect((err as ConfigError).variable).toBe(variable);
      expect((err as ConfigError).message).not.toContain('secret-pw-1');
    }
  });
});
