import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import cassandra from 'cassandra-driver';
import { DevstackError } from './errors.ts';
import { startJava, isAlive, tail, sleep } from './process.ts';

export interface CassandraPlan {
  lib: string;
  dir: string;
  port: number;
  storagePort: number;
  jmxPort: number;
  /** Secure mode: PasswordAuthenticator and TLS on the CQL port (absent: AllowAll, plaintext). */
  security?: CassandraSecurity;
  /** 'overload': a Cassandra that sheds writes under load (see {@link overloadYaml}); absent: 'default'. */
  profile?: CassandraProfile;
  /**
   * The JVM's maximum heap in MiB (default 1024: the devstack's node). It starts at half of it,
   * and off-heap (direct) buffers get half of it too: a node beside the devstack's keeps it small.
   */
  heapMb?: number;
}

/** How the devstack's Cassandra is tuned: 'default' (fast, durable) or 'overload' (see {@link overloadYaml}). */
export type CassandraProfile = 'default' | 'overload';

/**
 * The Cassandra profile from FLEETSTREAM_CASSANDRA_PROFILE (`devstack up --cassandra-profile`):
 * 'default' when unset; anything else but 'overload' fails with the variable's name.
 */
export function cassandraProfile(env: NodeJS.ProcessEnv = process.env): CassandraProfile {
  const value = env.FLEETSTREAM_CASSANDRA_PROFILE?.trim() || 'default';
  if (value !== 'default' && value !== 'overload') {
    throw new DevstackError('DEVSTACK_INVALID_OPTION', `FLEETSTREAM_CASSANDRA_PROFILE: must be default or overload, got '${value}'`);
  }
  return value;
}

/**
 * The 'overload' profile: a Cassandra that answers WriteTimeout under load instead of queueing
 * (the sink's back-pressure bench, issue 18). Two write threads, each blocked on a group commit
 * of the commit log, cap the node at a few hundred mutations/s; a write that waits longer than
 * the short write_request_timeout in the mutation stage's queue is dropped and the coordinator
 * answers WriteTimeout. So a client sending more at once than the node drains within the
 * timeout gets timeouts, and one sending fewer gets the node's full rate.
 */
export const overloadYaml = {
  commitlog_sync_group_window: '10ms',
  concurrent_writes: '2',
  write_request_timeout: '200ms',
} as const;

/** A Cassandra login. */
export interface CassandraLogin {
  username: string;
  password: string;
}

/**
 * The secure Cassandra: client TLS with `tls.ts`'s keystore (no client certificates), logins by
 * password. The built-in superuser `cassandra`/`cassandra` creates `user` (a LOGIN SUPERUSER role,
 * so it may create keyspaces) once the node answers.
 */
export interface CassandraSecurity {
  keystore: string;
  storePassword: string;
  caFile: string;
  user: CassandraLogin;
}

/** The default superuser Cassandra creates on a fresh PasswordAuthenticator cluster. */
const defaultSuperuser: CassandraLogin = { username: 'cassandra', password: 'cassandra' };

function securityYaml(security: CassandraSecurity | undefined): string[] {
  if (!security) return ['authenticator: AllowAllAuthenticator', 'authorizer: AllowAllAuthorizer'];
  return [
    'authenticator: PasswordAuthenticator',
    'authorizer: AllowAllAuthorizer',
    'role_manager: CassandraRoleManager',
    'client_encryption_options:',
    '  enabled: true',
    '  optional: false',
    `  keystore: ${JSON.stringify(security.keystore)}`,
    `  keystore_password: ${JSON.stringify(security.storePassword)}`,
    '  store_type: PKCS12',
    '  require_client_auth: false',
  ];
}

export const cassandraLog = (dir: string) => join(dir, 'system.log');

/** Module flags Cassandra 5.0 needs on Java 17+ (from its conf/jvm17-server.options). */
const java17Flags = [
  '-Djdk.attach.allowAttachSelf=true',
  ...['java.base/jdk.internal.misc', 'java.management.rmi/com.sun.jmx.remote.internal.rmi', 'java.rmi/sun.rmi.registry', 'java.rmi/sun.rmi.server', 'java.sql/java.sql', 'java.base/java.lang.ref', 'jdk.unsupported/sun.misc', 'jdk.compiler/com.sun.tools.javac.file', 'jdk.attach/sun.tools.attach'].flatMap((m) => ['--add-exports', `${m}=ALL-UNNAMED`]),
  ...['java.base/java.lang.module', 'java.base/jdk.internal.loader', 'java.base/jdk.internal.ref', 'java.base/jdk.internal.reflect', 'java.base/jdk.internal.math', 'java.base/jdk.internal.module', 'java.base/jdk.internal.util.jar', 'jdk.management/com.sun.management.internal', 'java.base/sun.nio.ch', 'java.base/java.io', 'java.base/java.lang.reflect', 'jdk.compiler/com.sun.tools.javac', 'java.base/java.lang', 'java.base/java.util'].flatMap((m) => ['--add-opens', `${m}=ALL-UNNAMED`]),
  '-Dio.netty.tryReflectionSetAccessible=true',
  '-Dio.netty.allocator.useCacheForAllThreads=true',
  '-Dio.netty.allocator.maxOrder=11',
];

/** Writes cassandra.yaml and logback.xml into the data folder; returns the JVM arguments. */
export function prepareCassandra(plan: CassandraPlan): string[] {
  const { dir, port, storagePort, jmxPort, lib } = plan;
  const overload = plan.profile === 'overload';
  for (const sub of ['data', 'commitlog', 'saved_caches', 'hints', 'cdc_raw']) mkdirSync(join(dir, sub), { recursive: true });
  const yaml = join(dir, 'cassandra.yaml');
  writeFileSync(
    yaml,
    [
      'cluster_name: fleetstream-devstack',
      'num_tokens: 1',
      'initial_token: 0',
      'partitioner: org.apache.cassandra.dht.Murmur3Partitioner',
      'endpoint_snitch: SimpleSnitch',
      'seed_provider:',
      '  - class_name: org.apache.cassandra.locator.SimpleSeedProvider',
      '    parameters:',
      `      - seeds: "127.0.0.1:${storagePort}"`,
      'listen_address: 127.0.0.1',
      'rpc_address: 127.0.0.1',
      `storage_port: ${storagePort}`,
      `native_transport_port: ${port}`,
      'start_native_transport: true',
      // A write is acknowledged only after the commit log holding it was fsynced, so a kill -9 of
      // this single node (RF 1) never loses an acknowledged write — the chaos and restart tests
      // rely on it (periodic would lose up to its period of acknowledged writes). batch syncs as
      // soon as writes are pending, grouping whatever arrived meanwhile; group waits for its window
      // (15 ms) first, which held every write ~10-25 ms and capped a client at concurrency / 20 ms
      // (the store's writes at 16 in flight: 645 events/s under group, 2,150 under batch, and
      // Cassandra's CPU per event fell from 0.80 to 0.62 ms). The overload profile keeps group:
      // its slow syncs are the point.
      ...(overload ? ['commitlog_sync: group', `commitlog_sync_group_window: ${overloadYaml.commitlog_sync_group_window}`] : ['commitlog_sync: batch']),
      'auto_snapshot: false',
      'hinted_handoff_enabled: false',
      'auto_bootstrap: false',
      ...securityYaml(plan.security),
      `data_file_directories: [${JSON.stringify(join(dir, 'data'))}]`,
      `commitlog_directory: ${JSON.stringify(join(dir, 'commitlog'))}`,
      `saved_caches_directory: ${JSON.stringify(join(dir, 'saved_caches'))}`,
      `hints_directory: ${JSON.stringify(join(dir, 'hints'))}`,
      `cdc_raw_directory: ${JSON.stringify(join(dir, 'cdc_raw'))}`,
      'concurrent_reads: 8',
      // Not cassandra.yaml's 8 × cores: each write thread waits for the commit log's sync, so 16
      // capped the node at ~16 / 15 ms ≈ 1,070 mutations/s under group commit (store bench: 3.1× with 64).
      `concurrent_writes: ${overload ? overloadYaml.concurrent_writes : '64'}`,
      'memtable_allocation_type: heap_buffers',
      `write_request_timeout: ${overload ? overloadYaml.write_request_timeout : '5000ms'}`,
      'read_request_timeout: 5000ms',
      'range_request_timeout: 10000ms',
      'request_timeout: 10000ms',
      '',
    ].join('\n'),
    { mode: 0o600 }, // secure mode writes the keystore password here: only the owner reads it
  );
  const logback = join(dir, 'logback.xml');
  writeFileSync(
    logback,
    `<configuration scan="false">
  <appender name="FILE" class="ch.qos.logback.core.FileAppender">
    <file>${cassandraLog(dir)}</file>
    <encoder><pattern>%-5level [%thread] %date{ISO8601} %F:%L - %msg%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="FILE" /></root>
  <logger name="org.apache.cassandra" level="INFO" />
</configuration>
`,
  );
  const heapMb = plan.heapMb ?? 1024;
  return [
    `-Xms${Math.floor(heapMb / 2)}m`,
    `-Xmx${heapMb}m`,
    '-Xss256k',
    `-XX:MaxDirectMemorySize=${Math.floor(heapMb / 2)}m`,
    '-XX:+UseG1GC',
    '-XX:+ParallelRefProcEnabled',
    '-XX:MaxGCPauseMillis=300',
    ...java17Flags,
    '-Djava.net.preferIPv4Stack=true',
    `-Dcassandra.config=file://${yaml}`,
    '-Dcassandra-foreground=yes',
    `-Dcassandra.storagedir=${dir}`,
    `-Dcassandra.logdir=${dir}`,
    `-Dlogback.configurationFile=${logback}`,
    `-Dcassandra.jmx.local.port=${jmxPort}`,
    '-Dcassandra.skip_wait_for_gossip_to_settle=0',
    // No -Dcassandra.unsafesystem: it skips the commit log for schema changes, so a kill -9 would
    // forget keyspaces created since the start.
    '-Dcassandra.ring_delay_ms=0',
    '-Dcassandra.superuser_setup_delay_ms=0',
    '-cp',
    `${lib}/*`,
    'org.apache.cassandra.service.CassandraDaemon',
  ];
}

export function startCassandra(plan: CassandraPlan, detached: boolean): number {
  return startJava(prepareCassandra(plan), join(plan.dir, 'stdout.log'), { detached, cwd: plan.dir });
}

/** Ready when `SELECT release_version FROM system.local` answers through cassandra-driver. */
export async function waitCassandraReady(pid: number, plan: CassandraPlan, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) {
      throw new DevstackError('DEVSTACK_EXITED', `Cassandra exited during start; last lines of ${cassandraLog(plan.dir)}:\n${tail(cassandraLog(plan.dir), 15)}\n${tail(join(plan.dir, 'stdout.log'), 10)}`);
    }
    const security = plan.security;
    const client = new cassandra.Client({
      contactPoints: [`127.0.0.1:${plan.port}`],
      localDataCenter: 'datacenter1',
      socketOptions: { connectTimeout: 2000, readTimeout: 5000 },
      ...(security ? { credentials: defaultSuperuser, sslOptions: { ca: [readFileSync(security.caFile, 'utf8')] } } : {}),
    });
    try {
      await client.connect();
      const rs = await client.execute('SELECT release_version FROM system.local');
      if (security) {
        // Parameters are not allowed in role statements; the password is hex (nothing to escape).
        await client.execute(`CREATE ROLE IF NOT EXISTS ${security.user.username} WITH PASSWORD = '${security.user.password}' AND LOGIN = true AND SUPERUSER = true`);
      }
      await client.shutdown();
      return String(rs.first()?.get('release_version'));
    } catch {
      await client.shutdown().catch(() => undefined);
      await sleep(1000);
    }
  }
  throw new DevstackError('DEVSTACK_NOT_READY', `Cassandra not ready on 127.0.0.1:${plan.port} after ${timeoutMs / 1000} s; last lines of ${cassandraLog(plan.dir)}:\n${tail(cassandraLog(plan.dir), 15)}`);
}
