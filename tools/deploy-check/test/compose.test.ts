import { describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_ACK_TIMEOUT_MS } from '@fleetstream/simulator';
import { checkComposeSchema, interpolateDefaults } from '../src/compose-schema.ts';
import { WORKLOAD_CONTRACTS } from '../src/env-contract.ts';
import { paths, repoRoot } from '../src/paths.ts';
import { parseDockerfile } from '../src/dockerfile.ts';
import { composeEnvProblems } from '../src/workload-env.ts';
import { parseYaml, readYaml } from '../src/yaml-files.ts';

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile?: string; args?: Record<string, string> };
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string[]; disable?: boolean };
  volumes?: string[];
  restart?: string;
  stop_grace_period?: string;
  ports?: string[];
  command?: string[];
}
interface Compose {
  services: Record<string, ComposeService>;
  volumes: Record<string, unknown>;
}

const raw = parseYaml(readFileSync(paths.compose, 'utf8'), paths.compose);
const { value, missing } = interpolateDefaults(raw);
const compose = value as Compose;
const services = Object.entries(compose.services);
/** The services on libs/stream's service host (the simulator is a load generator beside them). */
const streamServices = ['gateway', 'parse', 'enrich', 'store', 'sql-source'];
const dockerfile = parseDockerfile(readFileSync(paths.dockerfile, 'utf8'));
const dockerfileHasHealthcheck = dockerfile.some((i) => i.instruction === 'HEALTHCHECK');
/** HEALTH_PORT as the image sets it (`ENV ... HEALTH_PORT=9464` in the runtime stage). */
const imageHealthPort = dockerfile
  .filter((i) => i.instruction === 'ENV')
  .map((i) => /\bHEALTH_PORT=(\d+)/.exec(i.args)?.[1])
  .filter(Boolean)
  .pop();
/** The libs/stream service host exits by itself this long after SHUTDOWN_TIMEOUT_MS at the latest. */
const FORCED_EXIT_MS = 2_000;
const graceMs = (service: ComposeService) => {
  const m = /^(\d+)(s|m)$/.exec(service.stop_grace_period ?? '10s');
  return m ? Number(m[1]) * (m[2] === 'm' ? 60_000 : 1000) : 0;
};
/** The fleetstream workspace a compose service is built from (build arg SERVICE), by its folder name. */
const workloadOf = (service: ComposeService) => service.build?.args?.SERVICE?.split('/').pop();

/** Port of "host:port" or "scheme://user:pw@host:port/path" (undefined without one). */
function portOf(value: string): number | undefined {
  const m = /^(?:[a-z][a-z0-9+.-]*:\/\/(?:[^@/]*@)?)?[^:/?]+:(\d+)/i.exec(value);
  return m ? Number(m[1]) : undefined;
}

/** Host part of "host:port", "scheme://user:pw@host:port/path" or a bare host. */
function hostOf(value: string): string {
  const url = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/]*@)?([^:/?]+)/i.exec(value);
  if (url) return url[1]!;
  return value.split(':')[0]!;
}

describe('docker-compose.yml', () => {
  it('validates against the compose-spec schema, with a default for every variable', () => {
    expect(checkComposeSchema(compose)).toEqual([]);
    expect([...missing]).toEqual([]);
  });

  it('is rejected by the schema check when a service is malformed (the check is live)', () => {
    // Prepare
    const broken = structuredClone(compose);
    broken.services.parse!.depends_on = { topology: { condition: 'service_finished' } };
    (broken.services.store as Record<string, unknown>).restart_policy = 'always';

    // Act
    const problems = checkComposeSchema(broken);

    // Assess
    expect(problems.some((p) => p.startsWith('/services/parse/depends_on'))).toBe(true);
    expect(problems.some((p) => p.includes('restart_policy'))).toBe(true);
  });

  it('runs the whole pipeline: infrastructure, one-shots, every service, the stub, the simulator and monitoring', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      [
        'asset-api-stub',
        'cassandra',
        'collector',
        'enrich',
        'gateway',
        'grafana',
        'kafka',
        'parse',
        'prometheus',
        'simulator',
        'sql-source',
        'sqlserver',
        'asset-register-seed',
        'store',
        'topology',
      ].sort(),
    );
  });

  it.each(services)(
    '%s depends only on services that exist, healthy or completed as their kind allows',
    (_name, service) => {
      for (const [dep, { condition }] of Object.entries(service.depends_on ?? {})) {
        const target = compose.services[dep];
        expect(target).toBeDefined();
        if (condition === 'service_healthy') {
          const declared = target!.healthcheck && !target!.healthcheck.disable;
          const fromDockerfile =
            !target!.healthcheck &&
            target!.build?.dockerfile === 'Dockerfile' &&
            dockerfileHasHealthcheck;
          expect({ dep, healthcheck: Boolean(declared || fromDockerfile) }).toEqual({
            dep,
            healthcheck: true,
          });
        } else {
          expect(condition).toBe('service_completed_successfully');
          expect({ dep, restart: target!.restart }).toEqual({ dep, restart: 'no' });
        }
      }
    },
  );

  it('has no dependency cycle', () => {
    // Prepare
    const state = new Map<string, 'visiting' | 'done'>();
    const cycles: string[] = [];
    const visit = (name: string, path: string[]) => {
      if (state.get(name) === 'done') return;
      if (state.get(name) === 'visiting') {
        cycles.push([...path, name].join(' -> '));
        return;
      }
      state.set(name, 'visiting');
      for (const dep of Object.keys(compose.services[name]?.depends_on ?? {}))
        visit(dep, [...path, name]);
      state.set(name, 'done');
    };

    // Act
    for (const name of Object.keys(compose.services)) visit(name, []);

    // Assess
    expect(cycles).toEqual([]);
  });

  it.each(services.filter(([, s]) => s.build))(
    '%s builds from the repo Dockerfile for a workspace that exists',
    (name, service) => {
      // Prepare
      const context = join(repoRoot, service.build!.context);
      const workspace = service.build!.args?.SERVICE ?? '';
      const pkg = JSON.parse(readFileSync(join(repoRoot, workspace, 'package.json'), 'utf8')) as {
        name: string;
      };

      // Assess
      expect(statSync(context).isDirectory()).toBe(true);
      expect(existsSync(join(context, service.build!.dockerfile ?? 'Dockerfile'))).toBe(true);
      expect(pkg.name.startsWith('@fleetstream/')).toBe(true);
      expect(
        existsSync(
          join(
            repoRoot,
            workspace,
            workspace === 'tools/cli' ? 'bin/fleetstream.js' : 'src/index.ts',
          ),
        ),
      ).toBe(true);
      expect(service.image).toBe(
        `fleetstream/${name === 'topology' ? 'cli' : workspace.split('/')[1]}:dev`,
      );
    },
  );

  it.each(services.filter(([, s]) => !s.build))('%s uses a pinned image tag', (_name, service) => {
    // Prepare
    const image = service.image ?? '';
    const tag = image.includes('@')
      ? image.split('@')[1]!
      : image.slice(image.lastIndexOf(':') + 1);

    // Assess
    expect(image.lastIndexOf(':')).toBeGreaterThan(image.lastIndexOf('/'));
    expect(tag).not.toMatch(/(^|-)latest$/);
    expect(tag).toMatch(/\d/);
  });

  it('mounts only files that exist and named volumes that are declared, and declares none it does not use', () => {
    // Prepare
    const used = new Set<string>();
    const problems: string[] = [];

    // Act
    for (const [name, service] of services) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0]!;
        if (source.startsWith('.') || source.startsWith('/')) {
          if (!existsSync(join(repoRoot, source)))
            problems.push(`${name}: ${source} does not exist`);
        } else {
          used.add(source);
          if (!(source in compose.volumes))
            problems.push(`${name}: volume ${source} is not declared`);
        }
      }
    }

    // Assess
    expect(problems).toEqual([]);
    expect([...used].sort()).toEqual(Object.keys(compose.volumes).sort());
  });

  it('gives every service built from a fleetstream workspace exactly the variables its config schema reads, with values its rules accept', () => {
    expect(services.filter(([, s]) => workloadOf(s)).length).toBeGreaterThanOrEqual(8);
    expect(composeEnvProblems(compose)).toEqual([]);
  });

  it('reports a variable nothing reads, a required one missing and a value its rule rejects (the check is live)', () => {
    // Prepare: the simulator as it was configured before it read its environment, sql-source broken
    const broken = structuredClone(compose);
    broken.services.simulator!.environment = {
      ...broken.services.simulator!.environment,
      GATEWAY_HOST: 'gateway',
      DEVICES: '200',
    };
    delete broken.services['sql-source']!.environment!.SQL_URL;
    broken.services['sql-source']!.environment!.SQL_MODE = 'rowversions';

    // Act
    const problems = composeEnvProblems(broken);

    // Assess
    expect(problems.sort()).toEqual([
      'simulator: gets DEVICES, which its config schema does not read',
      'simulator: gets GATEWAY_HOST, which its config schema does not read',
      'sql-source: SQL_MODE="rowversions" must be timestamp, xid or rowversion',
      'sql-source: lacks SQL_URL, which its config schema requires',
    ]);
  });

  it.each(streamServices)(
    '%s gets the service host settings, reaches Kafka by a compose service name, and outlives its drain before SIGKILL',
    (name) => {
      // Prepare
      const service = compose.services[name]!;
      const env = service.environment ?? {};

      // Assess
      expect(Object.keys(env)).toEqual(
        expect.arrayContaining([
          'KAFKA_BROKERS',
          'LOG_LEVEL',
          'HEALTH_PORT',
          'SHUTDOWN_TIMEOUT_MS',
        ]),
      );
      expect(
        env
          .KAFKA_BROKERS!.split(',')
          .map(hostOf)
          .every((h) => h in compose.services),
      ).toBe(true);
      expect(graceMs(service)).toBeGreaterThan(Number(env.SHUTDOWN_TIMEOUT_MS) + FORCED_EXIT_MS);
    },
  );

  it('stops the simulator only after a device waited for the ack of the packet in hand', () => {
    expect(graceMs(compose.services.simulator!)).toBeGreaterThan(DEFAULT_ACK_TIMEOUT_MS);
  });

  /** The port a compose service listens on for `variable`'s kind of traffic. */
  const listening: Record<string, (env: Record<string, string>) => number> = {
    gatewayTcp: (e) => Number(e.GATEWAY_TCP_PORT),
    gatewayHttp: (e) => Number(e.GATEWAY_HTTP_PORT),
    stub: (e) => Number(e.PORT),
    kafka: (e) => Number(/PLAINTEXT:\/\/[^:,]*:(\d+)/.exec(e.KAFKA_LISTENERS ?? '')?.[1]),
    // The official images' fixed ports (not configurable through their environment).
    cassandra: () => 9042,
    sqlserver: () => 1433,
  };

  it.each([
    ['store', 'CASSANDRA_CONTACT_POINTS', 'cassandra', 'cassandra'],
    ['topology', 'CASSANDRA_CONTACT_POINTS', 'cassandra', 'cassandra'],
    ['topology', 'KAFKA_BROKERS', 'kafka', 'kafka'],
    ['enrich', 'ASSET_API_URL', 'asset-api-stub', 'stub'],
    ['sql-source', 'SQL_URL', 'sqlserver', 'sqlserver'],
    ['simulator', 'SIM_TCP', 'gateway', 'gatewayTcp'],
    ['simulator', 'SIM_HTTP', 'gateway', 'gatewayHttp'],
  ])(
    '%s finds %s at the compose service %s, on the port it listens on',
    (name, variable, host, port) => {
      // Prepare
      const value = compose.services[name]!.environment?.[variable] ?? '';
      const target = compose.services[host]!;

      // Assess: the variable is one the service reads (so this is where it really connects)
      expect(WORKLOAD_CONTRACTS[workloadOf(compose.services[name]!)!]!.reads.has(variable)).toBe(
        true,
      );
      expect(hostOf(value)).toBe(host);
      expect(portOf(value)).toBe(listening[port]!(target.environment ?? {}));
    },
  );

  it('has Prometheus scrape exactly the services that serve /metrics, on the health port they read', () => {
    // Prepare
    const prometheus = readYaml(paths.prometheus) as {
      scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }>;
    };
    const job = prometheus.scrape_configs.find((c) => c.job_name === 'fleetstream')!;
    const expected = services
      .filter(([, s]) => WORKLOAD_CONTRACTS[workloadOf(s) ?? '']?.reads.has('HEALTH_PORT'))
      .filter(([, s]) => s.command?.[0] !== 'topology')
      .map(([name, s]) => `${name}:${s.environment?.HEALTH_PORT ?? imageHealthPort}`);

    // Assess
    expect(job.static_configs.flatMap((c) => c.targets).sort()).toEqual(expected.sort());
    expect(expected.map((t) => t.split(':')[0]).sort()).toEqual(
      [...streamServices, 'simulator'].sort(),
    );
  });

  it('starts Kafka in KRaft mode with a valid cluster id and no automatic topics', () => {
    // Prepare
    const env = compose.services.kafka!.environment!;

    // Assess
    expect(env.CLUSTER_ID).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(Buffer.from(env.CLUSTER_ID!, 'base64url')).toHaveLength(16);
    expect(env.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    expect(env.KAFKA_AUTO_CREATE_TOPICS_ENABLE).toBe('false');
    expect(env.KAFKA_ADVERTISED_LISTENERS).toContain('PLAINTEXT://kafka:9092');
  });

  it('seeds SQL Server with an asset table that has a rowversion and a soft-delete column, before sql-source starts', () => {
    // Prepare
    const seed = readFileSync(join(repoRoot, 'deploy/sqlserver/seed.sql'), 'utf8');
    const seedService = compose.services['asset-register-seed']!;

    // Assess
    expect(seed).toMatch(/CREATE TABLE dbo\.assets \(/);
    expect(seed).toMatch(/row_version\s+ROWVERSION/);
    expect(seed).toMatch(/is_deleted\s+BIT/);
    expect(seedService.volumes).toContain('./deploy/sqlserver:/seed:ro');
    expect(seedService.environment?.SQLSERVER_HOST).toBe('sqlserver');
    // No depends_on on sqlserver (seed.sh waits for it), so the local run can leave SQL Server out.
    expect(seedService.depends_on).toBeUndefined();
    expect(compose.services['sql-source']!.depends_on?.['asset-register-seed']).toEqual({
      condition: 'service_completed_successfully',
    });
  });
});

describe('docker-compose.yml asset API stub', () => {
  it('is health-checked on the /healthz of its own HTTP port', () => {
    const env = compose.services['asset-api-stub']!.environment!;
    expect(env.HEALTHCHECK_URL).toBe(`http://127.0.0.1:${env.PORT}/healthz`);
  });
});
