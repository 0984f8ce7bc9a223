import { mkdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { dataDir as defaultDataDir } from './paths.ts';
import { versions } from './versions.ts';
import { DevstackError } from './errors.ts';
import { requireCommand, resolveJars } from './maven.ts';
import { assertPortFree, freePort, isAlive, stopProcess } from './process.ts';
import { startCassandra, waitCassandraReady, type CassandraPlan, type CassandraProfile } from './cassandra.ts';

/** The three ports of a Cassandra node. */
export interface CassandraNodePorts {
  cql: number;
  storage: number;
  jmx: number;
}

export interface CassandraNodeOptions {
  /** The node's own folder (config, data, logs); created if missing, removed by `stop()`. Never the devstack's. */
  dir: string;
  /** Ports to use; a port not given is a free one the system picks. */
  ports?: Partial<CassandraNodePorts>;
  /** How the node is tuned (default 'default'); see `overloadYaml` for 'overload'. */
  profile?: CassandraProfile;
  /** Maximum heap in MiB (default 512, half the devstack's: the node runs beside Kafka and the main Cassandra). */
  heapMb?: number;
  /** How long the start may take before it fails with DEVSTACK_NOT_READY (default 240 s: a cold start on a busy 2-core machine). */
  timeoutMs?: number;
}

/** A running node started by {@link startCassandraNode}. */
export interface CassandraNode {
  /** `127.0.0.1:<cql port>`, as CASSANDRA_CONTACT_POINTS takes it. */
  contactPoints: string;
  ports: CassandraNodePorts;
  pid: number;
  version: string;
  /** Kills the node (SIGKILL: its data is thrown away) and removes its folder. Safe to call twice. */
  stop(): Promise<void>;
}

/** The variables that pin the ports of the overload test's node (unset: free ports). */
export const overloadNodePortVariables = {
  cql: 'FLEETSTREAM_OVERLOAD_CASSANDRA_PORT',
  storage: 'FLEETSTREAM_OVERLOAD_CASSANDRA_STORAGE_PORT',
  jmx: 'FLEETSTREAM_OVERLOAD_CASSANDRA_JMX_PORT',
} as const;

/**
 * The ports the overload node's variables pin ({@link overloadNodePortVariables}); a variable
 * that is not a port number fails with DEVSTACK_INVALID_OPTION naming it.
 */
export function overloadNodePorts(env: NodeJS.ProcessEnv = process.env): Partial<CassandraNodePorts> {
  const out: Partial<CassandraNodePorts> = {};
  for (const [key, variable] of Object.entries(overloadNodePortVariables) as [keyof CassandraNodePorts, string][]) {
    const raw = env[variable]?.trim();
    if (!raw) continue;
    const port = Number(raw);
    if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new DevstackError('DEVSTACK_INVALID_OPTION', `${variable}: must be a port number (1-65535), got '${raw}'`);
    out[key] = port;
  }
  return out;
}

async function nodePorts(given: Partial<CassandraNodePorts>): Promise<CassandraNodePorts> {
  const out = {} as CassandraNodePorts;
  for (const key of ['cql', 'storage', 'jmx'] as const) {
    const port = given[key];
    if (port === undefined) {
      out[key] = await freePort();
    } else {
      await assertPortFree(port, `Cassandra node ${key}`, 'the ports option');
      out[key] = port;
    }
  }
  return out;
}

/**
 * Starts one Cassandra node of the devstack's version (the same jars, config and readiness check
 * as `devstack up`) in its own folder on its own ports, beside any running devstack, for a test
 * that needs a Cassandra tuned otherwise (e.g. the 'overload' profile). The JVM is attached: it
 * dies with this process's group, and is killed at this process's exit if `stop()` was not called.
 *
 * @example
 *   const node = await startCassandraNode({ dir: mkdtempSync(join(tmpdir(), 'overload-')), profile: 'overload', ports: overloadNodePorts() });
 *   const client = new cassandra.Client({ contactPoints: [node.contactPoints], localDataCenter: 'datacenter1' });
 *   // ...
 *   await node.stop();
 */
export async function startCassandraNode(options: CassandraNodeOptions): Promise<CassandraNode> {
  const dir = resolve(options.dir);
  if (dir === resolve(defaultDataDir) || dir.startsWith(`${resolve(defaultDataDir)}/`)) {
    throw new DevstackError('DEVSTACK_INVALID_OPTION', `a Cassandra node needs its own folder, not inside the devstack's (${dir})`);
  }
  let ports: CassandraNodePorts;
  let lib: string;
  try {
    requireCommand('java');
    ports = await nodePorts(options.ports ?? {});
    lib = resolveJars('cassandra', versions.cassandra);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true }); // the folder goes whenever the node does not start
    throw err;
  }
  const plan: CassandraPlan = {
    lib,
    dir,
    port: ports.cql,
    storagePort: ports.storage,
    jmxPort: ports.jmx,
    profile: options.profile ?? 'default',
    heapMb: options.heapMb ?? 512,
  };
  mkdirSync(dir, { recursive: true });
  const pid = startCassandra(plan, false);
  const killAtExit = () => {
    if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  };
  process.once('exit', killAtExit);
  const stop = async () => {
    process.removeListener('exit', killAtExit);
    await stopProcess(pid, 0);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const version = await waitCassandraReady(pid, plan, options.timeoutMs ?? 240_000);
    return { contactPoints: `127.0.0.1:${ports.cql}`, ports, pid, version, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
