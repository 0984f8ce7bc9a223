import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dataDir, stateFile } from './paths.ts';
import { ports, versions } from './versions.ts';
import { DevstackError } from './errors.ts';
import { requireCommand, resolveJars } from './maven.ts';
import { assertPortFree, commandLine, isAlive, stopProcess } from './process.ts';
import { startKafka, waitKafkaPartitionsOnline, waitKafkaReady, type KafkaPlan } from './kafka.ts';
import { cassandraProfile, startCassandra, waitCassandraReady, type CassandraPlan } from './cassandra.ts';

/** What a running stack looks like; written to `<dataDir>/state.json`. */
export interface StackState {
  kafka: { pid: number; brokers: string; version: string };
  cassandra: { pid: number; contactPoints: string; version: string };
  dataDir: string;
  startedAt: string;
  owner: number;
  plans: { kafka: KafkaPlan; cassandra: CassandraPlan };
}

export interface Endpoints {
  KAFKA_BROKERS: string;
  CASSANDRA_CONTACT_POINTS: string;
}

export type StackStatus =
  | { status: 'up'; state: StackState }
  | { status: 'down' }
  | { status: 'stale'; state: StackState | undefined; reason: string };

const log = (msg: string) => process.stderr.write(`[devstack] ${msg}\n`);

function readState(): StackState | undefined {
  if (!existsSync(stateFile)) return undefined;
  try {
    return JSON.parse(readFileSync(stateFile, 'utf8')) as StackState;
  } catch {
    return undefined;
  }
}

/** A pid is ours only when it is alive and its command line points into our data folder. */
const ours = (pid: number | undefined) => typeof pid === 'number' && pid > 0 && isAlive(pid) && commandLine(pid).includes(dataDir);

export function status(): StackStatus {
  const state = readState();
  if (!state) return existsSync(dataDir) ? { status: 'stale', state, reason: 'data folder without state' } : { status: 'down' };
  const k = ours(state.kafka?.pid);
  const c = ours(state.cassandra?.pid);
  if (k && c) return { status: 'up', state };
  return { status: 'stale', state, reason: `${k ? '' : 'kafka '}${c ? '' : 'cassandra '}not running`.trim() };
}

export const endpointsOf = (state: StackState): Endpoints => ({
  KAFKA_BROKERS: state.kafka.brokers,
  CASSANDRA_CONTACT_POINTS: state.cassandra.contactPoints,
});

/** Stops both servers (SIGTERM, SIGKILL after 20 s) and removes the data folder. */
export async function down(): Promise<void> {
  const state = readState();
  if (state) {
    await Promise.all(
      [state.kafka?.pid, state.cassandra?.pid].filter((pid): pid is number => typeof pid === 'number' && pid > 0 && ours(pid)).map((pid) => stopProcess(pid, 20_000)),
    );
  }
  rmSync(dataDir, { recursive: true, force: true });
}

export interface UpOptions {
  /** Detached servers outlive this process (CLI `up`); attached ones die with its process group. */
  detached: boolean;
  kafkaTimeoutMs?: number;
  cassandraTimeoutMs?: number;
}

/**
 * Starts Kafka and Cassandra unless they already run. A stale stack (a crashed run) is cleaned
 * first. Returns the state and whether this call started it.
 */
export async function up(options: UpOptions): Promise<{ state: StackState; started: boolean }> {
  const current = status();
  if (current.status === 'up') {
    const wanted = versions.kafka;
    if (current.state.kafka.version !== wanted) {
      throw new DevstackError('DEVSTACK_INVALID_OPTION', `the devstack runs Kafka ${current.state.kafka.version} but FLEETSTREAM_KAFKA_VERSION asks for ${wanted}: run 'npm run devstack:down' first`);
    }
    const profile = current.state.plans.cassandra.profile ?? 'default';
    if (profile !== cassandraProfile()) {
      throw new DevstackError('DEVSTACK_INVALID_OPTION', `the devstack runs the '${profile}' Cassandra but FLEETSTREAM_CASSANDRA_PROFILE asks for '${cassandraProfile()}': run 'npm run devstack:down' first`);
    }
    return { state: current.state, started: false };
  }
  if (current.status === 'stale') {
    log(`cleaning a stale stack (${current.reason})`);
    await down();
  }
  requireCommand('java');
  await assertPortFree(ports.kafka, 'Kafka', 'FLEETSTREAM_KAFKA_PORT');
  await assertPortFree(ports.kafkaController, 'Kafka controller', 'FLEETSTREAM_KAFKA_CONTROLLER_PORT');
  await assertPortFree(ports.cassandra, 'Cassandra CQL', 'FLEETSTREAM_CASSANDRA_PORT');
  await assertPortFree(ports.cassandraStorage, 'Cassandra storage', 'FLEETSTREAM_CASSANDRA_STORAGE_PORT');
  await assertPortFree(ports.cassandraJmx, 'Cassandra JMX', 'FLEETSTREAM_CASSANDRA_JMX_PORT');

  const kafkaVersion = versions.kafka;
  const kafkaPlan: KafkaPlan = { version: kafkaVersion, lib: resolveJars('kafka', kafkaVersion), dir: join(dataDir, 'kafka'), port: ports.kafka, controllerPort: ports.kafkaController };
  const cassandraPlan: CassandraPlan = { lib: resolveJars('cassandra', versions.cassandra), dir: join(dataDir, 'cassandra'), port: ports.cassandra, storagePort: ports.cassandraStorage, jmxPort: ports.cassandraJmx, profile: cassandraProfile() };
  mkdirSync(dataDir, { recursive: true });

  const cassandraPid = startCassandra(cassandraPlan, options.detached);
  // Record the first server at once: an interrupt while Kafka's storage is formatted (a blocking
  // call) must still find it for `down`.
  writeFileSync(stateFile, JSON.stringify({ kafka: { pid: -1 }, cassandra: { pid: cassandraPid }, dataDir }));
  const kafkaPid = startKafka(kafkaPlan, options.detached);
  const state: StackState = {
    kafka: { pid: kafkaPid, brokers: `127.0.0.1:${ports.kafka}`, version: kafkaVersion },
    cassandra: { pid: cassandraPid, contactPoints: `127.0.0.1:${ports.cassandra}`, version: versions.cassandra },
    dataDir,
    startedAt: new Date().toISOString(),
    owner: process.pid,
    plans: { kafka: kafkaPlan, cassandra: cassandraPlan },
  };
  writeFileSync(stateFile, JSON.stringify(state, null, 2));
  try {
    await Promise.all([
      waitKafkaReady(kafkaPid, kafkaPlan, options.kafkaTimeoutMs ?? 90_000),
      waitCassandraReady(cassandraPid, cassandraPlan, options.cassandraTimeoutMs ?? 180_000),
    ]);
  } catch (err) {
    await down();
    throw err;
  }
  return { state, started: true };
}

export interface RestartOptions {
  /** SIGKILL models a crash; SIGTERM a clean stop (default). */
  signal?: 'SIGTERM' | 'SIGKILL';
  /** How long the server stays down before it starts again. */
  downMs?: number;
  /** Called once the server is down, before the pause (tests assert what happens meanwhile). */
  whileDown?: () => Promise<void>;
}

/**
 * Stops one server of the running stack and starts it again on the same data and ports (a
 * broker or Cassandra restart for chaos and resilience tests). Resolves when it answers again.
 */
export async function restart(server: 'kafka' | 'cassandra', options: RestartOptions = {}): Promise<StackState> {
  const current = status();
  if (current.status !== 'up') throw new DevstackError('DEVSTACK_NOT_READY', `devstack is not up (${current.status}); restart needs a running stack`);
  const state = current.state;
  const pid = state[server].pid;
  if (options.signal === 'SIGKILL') {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
    while (isAlive(pid)) await new Promise((r) => setTimeout(r, 50));
  } else {
    await stopProcess(pid, 30_000);
  }
  const downUntil = Date.now() + (options.downMs ?? 0);
  await options.whileDown?.();
  const rest = downUntil - Date.now();
  if (rest > 0) await new Promise((r) => setTimeout(r, rest));
  let newPid: number;
  if (server === 'kafka') {
    // A stack started before plans carried the version (an older checkout) has it only in state.kafka.
    newPid = startKafka({ ...state.plans.kafka, version: state.plans.kafka.version ?? state.kafka.version }, true);
    state.kafka.pid = newPid;
    writeFileSync(stateFile, JSON.stringify(state, null, 2));
    await waitKafkaReady(newPid, state.plans.kafka, 90_000);
    await waitKafkaPartitionsOnline(state.plans.kafka, 90_000);
  } else {
    newPid = startCassandra(state.plans.cassandra, true);
    state.cassandra.pid = newPid;
    writeFileSync(stateFile, JSON.stringify(state, null, 2));
    await waitCassandraReady(newPid, state.plans.cassandra, 180_000);
  }
  return state;
}
