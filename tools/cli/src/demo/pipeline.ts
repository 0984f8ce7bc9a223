import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Supervisor, type ProcessSpec } from './supervisor.ts';
import { seedDemoAssets, DEMO_ASSET_TABLE } from './seed-assets.ts';

const repo = new URL('../../../../', import.meta.url).pathname;

/** First IMEI of the simulated fleet (the simulator's default `imeiBase`). */
export const IMEI_BASE = 356_307_040_000_000;

/**
 * The memory settings of every service process, in the image (the Dockerfile's runtime stage sets
 * the same; a test keeps them equal) and from this launcher. Issue #18 measured where a service's
 * RSS went (tools/cli/README.md):
 * - V8 sizes the young generation from the memory it sees: on a 24 GB host each semi-space may grow
 *   to 64 MB, and a streaming service, which allocates short-lived records all the time, grows it
 *   there (store and gateway held 128 MB of new space at 300 events/s). 4 MB semi-spaces keep it at
 *   8 MB; a scavenge copies the records in flight, which the space's size does not change (8 MB
 *   semi-spaces left gateway at 146-151 MB, 4 MB at 138, with no loss of acked rate seen).
 * - MALLOC_ARENA_MAX=2: glibc gives each thread that allocates (V8's GC and compiler helpers,
 *   libuv's pool) an arena of its own whose freed pages it keeps.
 */
export const SERVICE_MEMORY_ENV: Readonly<{ NODE_OPTIONS: string; MALLOC_ARENA_MAX: string }> = Object.freeze({
  NODE_OPTIONS: '--max-semi-space-size=4',
  MALLOC_ARENA_MAX: '2',
});

/**
 * What this launcher adds to {@link SERVICE_MEMORY_ENV}: in a container Node sizes the heap limit
 * from the cgroup's memory limit (512Mi: an old space of about 256 MB); on a bare host it sizes it
 * from the host's memory (4 GB here), and V8 then lets the old generation grow to several times
 * the live set before a full collection, every Buffer that garbage holds waiting with it (store:
 * 80 MB of old space and 49 MB of external memory for a 25 MB live set). The cap stands in for the
 * container's (the live sets measured are 20-45 MB). `--env NODE_OPTIONS=...` replaces both.
 */
export const LOCAL_NODE_OPTIONS = `${SERVICE_MEMORY_ENV.NODE_OPTIONS} --max-old-space-size=256`;

export interface PipelinePorts {
  sqlSource: number;
  parse: number;
  enrich: number;
  store: number;
  gateway: number;
  stub: number;
  tcp: number;
  http: number;
}

export const DEMO_PORTS: PipelinePorts = { sqlSource: 19471, parse: 19472, enrich: 19473, store: 19474, gateway: 19475, stub: 18090, tcp: 15027, http: 18080 };

export interface PipelineOptions {
  kafkaBrokers: string;
  cassandraContactPoints: string;
  pgUrl: string;
  /** Devices to seed assets for (80 % in the register, the rest only behind the asset API). */
  devices: number;
  ports?: PipelinePorts;
  logLevel?: string;
  /** Asset API stub latency. */
  stubLatencyMs?: number;
  /** Called after each process became ready. */
  onReady?: (name: string) => void;
  /** Extra environment for every service (e.g. PARTITIONS_CONCURRENCY to compare settings under load). */
  env?: Record<string, string>;
  /** Checked between starts: stop starting more when true. */
  stopping?: () => boolean;
}

export interface Pipeline {
  ports: PipelinePorts;
  /** Health ports of the services, by name, in pipeline order (for /metrics scrapes). */
  metricPorts: Record<string, number>;
  token: string;
}

/**
 * Applies the topology, seeds the asset register and starts the asset API stub, sql-source, parse,
 * enrich, store and the gateway as separate processes under `supervisor`, each waited for on
 * /readyz. The demo, the pipeline bench and the soak run stand on this.
 */
export async function startPipeline(supervisor: Supervisor, o: PipelineOptions): Promise<Pipeline> {
  const ports = o.ports ?? DEMO_PORTS;
  // The lag is read every second so the live view and the load test see it move.
  const common = { ...SERVICE_MEMORY_ENV, NODE_OPTIONS: LOCAL_NODE_OPTIONS, KAFKA_BROKERS: o.kafkaBrokers, LOG_LEVEL: o.logLevel ?? 'info', SHUTDOWN_TIMEOUT_MS: '10000', LAG_INTERVAL_MS: '1000', ...o.env };
  const topo = spawnSync(process.execPath, [join(repo, 'tools/cli/bin/fleetstream.js'), 'topology', 'apply'], {
    env: { ...process.env, ...common, CASSANDRA_CONTACT_POINTS: o.cassandraContactPoints },
    encoding: 'utf8',
  });
  if (topo.status !== 0) throw new Error(`topology apply failed: ${topo.stderr.trim()}`);
  await seedDemoAssets(o.pgUrl, { imeiBase: IMEI_BASE, devices: o.devices });
  const token = 'demo-token';
  const specs: ProcessSpec[] = [
    { name: 'asset-api-stub', script: join(repo, 'tools/asset-api-stub/src/index.ts'), env: { PORT: String(ports.stub), LATENCY_MS: String(o.stubLatencyMs ?? 20) }, healthPort: ports.stub, readyPath: '/healthz' },
    {
      name: 'sql-source',
      script: join(repo, 'services/sql-source/src/index.ts'),
      env: { ...common, HEALTH_PORT: String(ports.sqlSource), SQL_DIALECT: 'postgres', SQL_URL: o.pgUrl, SQL_TABLE: DEMO_ASSET_TABLE, SQL_MODE: 'xid', SQL_DELETED_COLUMN: 'deleted', SOURCE_NAME: 'demo-assets', SQL_FROM_START: 'true' },
      healthPort: ports.sqlSource,
    },
    { name: 'parse', script: join(repo, 'services/parse/src/index.ts'), env: { ...common, HEALTH_PORT: String(ports.parse) }, healthPort: ports.parse },
    { name: 'enrich', script: join(repo, 'services/enrich/src/index.ts'), env: { ...common, HEALTH_PORT: String(ports.enrich), ASSET_API_URL: `http://127.0.0.1:${ports.stub}` }, healthPort: ports.enrich },
    { name: 'store', script: join(repo, 'services/store/src/index.ts'), env: { ...common, HEALTH_PORT: String(ports.store), CASSANDRA_CONTACT_POINTS: o.cassandraContactPoints }, healthPort: ports.store },
    {
      name: 'gateway',
      script: join(repo, 'services/gateway/src/index.ts'),
      env: { ...common, HEALTH_PORT: String(ports.gateway), GATEWAY_TCP_PORT: String(ports.tcp), GATEWAY_HTTP_PORT: String(ports.http), GATEWAY_UDP_ENABLED: 'false', GATEWAY_TOKENS: token },
      healthPort: ports.gateway,
    },
  ];
  for (const spec of specs) {
    if (o.stopping?.()) break;
    const s = supervisor.start(spec);
    await supervisor.ready(s, 90_000);
    o.onReady?.(spec.name);
  }
  return {
    ports,
    token,
    metricPorts: { gateway: ports.gateway, parse: ports.parse, enrich: ports.enrich, store: ports.store, 'sql-source': ports.sqlSource },
  };
}

/** Starts the simulator as its own process against the pipeline's gateway (TCP and HTTP). */
export function startSimulator(supervisor: Supervisor, pipeline: Pipeline, o: { devices: number; rate: number; duration: number; jsonFile: string; kafkaBrokers: string; extraArgs?: string[] }) {
  return supervisor.start({
    name: 'simulator',
    script: join(repo, 'services/simulator/src/index.ts'),
    args: [
      '--devices', String(o.devices),
      '--rate', String(o.rate),
      '--duration', String(o.duration),
      '--mode', 'steady',
      '--tcp', `127.0.0.1:${pipeline.ports.tcp}`,
      '--http', `http://127.0.0.1:${pipeline.ports.http}`,
      '--token', pipeline.token,
      '--json', o.jsonFile,
      ...(o.extraArgs ?? []),
    ],
    env: { KAFKA_BROKERS: o.kafkaBrokers },
  });
}
