import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { dataDir as defaultDataDir, repoRoot } from './paths.ts';
import { versions } from './versions.ts';
import { DevstackError } from './errors.ts';
import { requireCommand, resolveJars } from './maven.ts';
import { assertPortFree, commandLine, isAlive, stopProcess } from './process.ts';
import { startKafka, waitKafkaReady, type KafkaPlan } from './kafka.ts';
import { startCassandra, waitCassandraReady, type CassandraPlan } from './cassandra.ts';
import { generateTls } from './tls.ts';

/**
 * The secure devstack: Kafka with SASL_SSL (SCRAM-SHA-512) and Cassandra with
 * PasswordAuthenticator and client TLS, on their own ports and data folder, so it runs beside
 * the default (plaintext) stack. Certificates (a self-signed CA) and random passwords are made at
 * start and live only in the data folder; `down` removes it.
 */

export type SecureServer = 'kafka' | 'cassandra';

export interface SecurePorts {
  kafka: number;
  kafkaController: number;
  cassandra: number;
  cassandraStorage: number;
  cassandraJmx: number;
}

/** Ports of the secure stack: the default stack's plus 10,000, so both run side by side. */
export const defaultSecurePorts: Readonly<SecurePorts> = Object.freeze({
  kafka: 29092,
  kafkaController: 29093,
  cassandra: 29042,
  cassandraStorage: 27000,
  cassandraJmx: 27199,
});

/** Where `devstack up --secure` keeps its data (under the git-ignored .cache folder). */
export const defaultSecureDataDir = join(repoRoot, '.cache', 'devstack-secure');

export interface SecureUpOptions {
  /** The stack's own folder: certificates, passwords, server data and logs. Never the default stack's. */
  dataDir: string;
  ports?: Partial<SecurePorts>;
  /** Which servers to start (default both): a test that needs one starts one. */
  servers?: readonly SecureServer[];
  /** Detached servers outlive this process (CLI); attached ones die with its process group (default). */
  detached?: boolean;
  /** The client login created on both servers (default `fleetstream`); its password is random. */
  username?: string;
  kafkaTimeoutMs?: number;
  cassandraTimeoutMs?: number;
}

/** A running secure stack; written to `<dataDir>/state.json` (mode 0600: it holds the passwords). */
export interface SecureStackState {
  dataDir: string;
  startedAt: string;
  /** The CA certificate (PEM) clients trust: KAFKA_SSL_CA_FILE / CASSANDRA_SSL_CA_FILE. */
  caFile: string;
  /** The client login of both servers. */
  credentials: { username: string; password: string };
  kafka?: { pid: number; brokers: string; mechanism: 'scram-sha-512'; version: string };
  cassandra?: { pid: number; contactPoints: string; version: string };
  plans: { kafka?: KafkaPlan; cassandra?: CassandraPlan };
}

export type SecureStackStatus = { status: 'up'; state: SecureStackState } | { status: 'down' } | { status: 'stale'; reason: string };

const stateFileOf = (dir: string) => join(dir, 'state.json');

/** The client login's password alone (mode 0600), for shells: `export X="$(cat <file>)"`. */
export const passwordFileOf = (dir: string) => join(resolve(dir), 'password');
const log = (msg: string) => process.stderr.write(`[devstack] ${msg}\n`);

function readState(dir: string): SecureStackState | undefined {
  try {
    return JSON.parse(readFileSync(stateFileOf(dir), 'utf8')) as SecureStackState;
  } catch {
    return undefined;
  }
}

/** A pid is this stack's only when alive and its command line points into this data folder. */
const ours = (pid: number, dir: string) => isAlive(pid) && commandLine(pid).includes(`${dir}/`);

function checkedDir(dir: string): string {
  const abs = resolve(dir);
  if (abs === resolve(defaultDataDir)) throw new DevstackError('DEVSTACK_INVALID_OPTION', `the secure stack needs its own data folder, not the default stack's (${abs})`);
  return abs;
}

/** Whether the secure stack of `dataDir` runs (every server it started is alive). */
export function secureStatus(dataDir: string): SecureStackStatus {
  const dir = checkedDir(dataDir);
  const state = readState(dir);
  if (!state) return existsSync(dir) && readdirSync(dir).length > 0 ? { status: 'stale', reason: 'data folder without state' } : { status: 'down' };
  const dead = (['kafka', 'cassandra'] as const).filter((s) => state[s] && !ours(state[s].pid, dir));
  return dead.length === 0 ? { status: 'up', state } : { status: 'stale', reason: `${dead.join(' ')} not running` };
}

/**
 * The environment a service needs for the secure stack, in the names of libs/stream's base
 * config (KAFKA_*) and the store's config (CASSANDRA_*). Holds the password: never log it.
 */
export function secureEnv(state: SecureStackState): Record<string, string> {
  const { username, password } = state.credentials;
  const out: Record<string, string> = {};
  if (state.kafka) {
    Object.assign(out, {
      KAFKA_BROKERS: state.kafka.brokers,
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: state.caFile,
      KAFKA_SASL_MECHANISM: state.kafka.mechanism,
      KAFKA_SASL_USERNAME: username,
      KAFKA_SASL_PASSWORD: password,
    });
  }
  if (state.cassandra) {
    Object.assign(out, {
      CASSANDRA_CONTACT_POINTS: state.cassandra.contactPoints,
      CASSANDRA_SSL: 'true',
      CASSANDRA_SSL_CA_FILE: state.caFile,
      CASSANDRA_USERNAME: username,
      CASSANDRA_PASSWORD: password,
    });
  }
  return out;
}

/** Stops the secure stack of `dataDir` (SIGTERM, SIGKILL after 20 s) and removes the folder. */
export async function downSecure(dataDir: string): Promise<void> {
  const dir = checkedDir(dataDir);
  const state = readState(dir);
  if (state) {
    const pids = [state.kafka?.pid, state.cassandra?.pid].filter((pid): pid is number => pid !== undefined && ours(pid, dir));
    await Promise.all(pids.map((pid) => stopProcess(pid, 20_000)));
  }
  rmSync(dir, { recursive: true, force: true });
}

const secret = () => randomBytes(16).toString('hex');

/**
 * Starts the secure stack in `options.dataDir` unless it already runs there (a stale one is
 * cleaned first). Resolves once Kafka answers an authenticated admin request over TLS and
 * Cassandra an authenticated query over TLS, with the client login created on both.
 *
 * @example
 *   const { state } = await upSecure({ dataDir: '/tmp/secure', servers: ['kafka'] });
 *   spawn('node', ['svc.ts'], { env: { ...process.env, ...secureEnv(state) } });
 *   await downSecure(state.dataDir);
 */
export async function upSecure(options: SecureUpOptions): Promise<{ state: SecureStackState; started: boolean }> {
  const dir = checkedDir(options.dataDir);
  const servers = new Set(options.servers ?? ['kafka', 'cassandra']);
  const username = options.username ?? 'fleetstream';
  if (!/^[a-z][a-z0-9_]{0,47}$/.test(username)) throw new DevstackError('DEVSTACK_INVALID_OPTION', `username "${username}" must be lower-case letters, digits and _`);
  const current = secureStatus(dir);
  if (current.status === 'up') return { state: current.state, started: false };
  if (current.status === 'stale') {
    log(`cleaning a stale secure stack in ${dir} (${current.reason})`);
    await downSecure(dir);
  }
  requireCommand('java');
  const ports = { ...defaultSecurePorts, ...options.ports };
  if (servers.has('kafka')) {
    await assertPortFree(ports.kafka, 'secure Kafka', 'the ports option');
    await assertPortFree(ports.kafkaController, 'secure Kafka controller', 'the ports option');
  }
  if (servers.has('cassandra')) {
    await assertPortFree(ports.cassandra, 'secure Cassandra CQL', 'the ports option');
    await assertPortFree(ports.cassandraStorage, 'secure Cassandra storage', 'the ports option');
    await assertPortFree(ports.cassandraJmx, 'secure Cassandra JMX', 'the ports option');
  }

  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tls = generateTls(join(dir, 'tls'), secret());
  const credentials = { username, password: secret() };
  writeFileSync(passwordFileOf(dir), credentials.password, { mode: 0o600 });
  const state: SecureStackState = { dataDir: dir, startedAt: new Date().toISOString(), caFile: tls.caFile, credentials, plans: {} };
  const waits: Promise<unknown>[] = [];
  const save = () => writeFileSync(stateFileOf(dir), JSON.stringify(state, null, 2), { mode: 0o600 });
  try {
    if (servers.has('cassandra')) {
      const plan: CassandraPlan = {
        lib: resolveJars('cassandra', versions.cassandra),
        dir: join(dir, 'cassandra'),
        port: ports.cassandra,
        storagePort: ports.cassandraStorage,
        jmxPort: ports.cassandraJmx,
        security: { keystore: tls.keystore, storePassword: tls.storePassword, caFile: tls.caFile, user: credentials },
      };
      const pid = startCassandra(plan, options.detached ?? false);
      state.plans.cassandra = plan;
      state.cassandra = { pid, contactPoints: `127.0.0.1:${plan.port}`, version: versions.cassandra };
      save();
      waits.push(waitCassandraReady(pid, plan, options.cassandraTimeoutMs ?? 180_000));
    }
    if (servers.has('kafka')) {
      const version = versions.kafka;
      const plan: KafkaPlan = {
        version,
        lib: resolveJars('kafka', version),
        dir: join(dir, 'kafka'),
        port: ports.kafka,
        controllerPort: ports.kafkaController,
        security: { ...tls, admin: { username: 'broker', password: secret() }, users: [credentials] },
      };
      const pid = startKafka(plan, options.detached ?? false);
      state.plans.kafka = plan;
      state.kafka = { pid, brokers: `127.0.0.1:${plan.port}`, mechanism: 'scram-sha-512', version };
      save();
      waits.push(waitKafkaReady(pid, plan, options.kafkaTimeoutMs ?? 90_000));
    }
    await Promise.all(waits);
  } catch (err) {
    await Promise.allSettled(waits);
    await downSecure(dir);
    throw err;
  }
  return { state, started: true };
}
