import { describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkComposeSchema, interpolateDefaults } from '../src/compose-schema.ts';
import { paths, repoRoot } from '../src/paths.ts';
import { parseYaml } from '../src/yaml-files.ts';

// The local run (scripts/compose/local.sh): docker-compose.yml + deploy/local/docker-compose.local.yml
// with the images of deploy/local/images.env. The compose test (compose-test/) runs it for real;
// these checks say why it can, without an engine.

interface Service {
  image?: string;
  profiles?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  build?: { args?: Record<string, string> };
}
type Compose = { services: Record<string, Service> } & Record<string, unknown>;

const composeText = readFileSync(paths.compose, 'utf8');
const base = parseYaml(composeText, paths.compose) as Compose;
const localPath = join(repoRoot, 'deploy/local/docker-compose.local.yml');
const localText = readFileSync(localPath, 'utf8');
const local = parseYaml(localText, localPath) as Compose;
const imagesEnv = Object.fromEntries(
  readFileSync(join(repoRoot, 'deploy/local/images.env'), 'utf8')
    .split('\n')
    .filter((l) => /^[A-Z_]+=/.test(l))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
);
const pinnedNode = /^NODE_VERSION=(\S+)$/m.exec(readFileSync(paths.fsScript, 'utf8'))?.[1];

/** The variables named in `${NAME:-default}` of an image or a build argument. */
function imageVariables(text: string): string[] {
  return [...text.matchAll(/\$\{([A-Z_]+_IMAGE):-[^}]+\}/g)].map((m) => m[1]!);
}

describe('the local compose run (deploy/local)', () => {
  it('has no top-level name: docker-compose 1.29 (Debian) rejects it, Compose v2 does not need it', () => {
    expect(Object.keys(base)).not.toContain('name');
    expect(Object.keys(local)).not.toContain('name');
  });

  it('validates against the compose-spec schema, with a default for every variable', () => {
    const { value, missing } = interpolateDefaults(local);
    expect(checkComposeSchema(value)).toEqual([]);
    expect([...missing]).toEqual([]);
  });

  it('names every image as a variable defaulting to the official one, and images.env sets each to a local build', () => {
    // Prepare
    const variables = [
      ...new Set([...imageVariables(composeText), ...imageVariables(localText)]),
    ].sort();
    const leftOut = Object.entries(local.services)
      .filter(([, s]) => s.profiles?.length)
      .map(([n]) => n);
    const neededLocally = variables.filter(
      (v) => !leftOut.some((name) => (base.services[name]?.image ?? '').includes(`\${${v}:-`)),
    );

    // Assess
    expect(neededLocally).toEqual(
      [
        'CASSANDRA_IMAGE',
        'KAFKA_IMAGE',
        'NODE_BASE_IMAGE',
        'POSTGRES_IMAGE',
        'PROMETHEUS_IMAGE',
      ].sort(),
    );
    for (const v of neededLocally)
      expect({ v, local: imagesEnv[v]?.startsWith('fleetstream-local/') }).toEqual({
        v,
        local: true,
      });
    expect(composeText).toContain(`NODE_BASE_IMAGE: \${NODE_BASE_IMAGE:-node:${pinnedNode}-slim}`);
    expect(imagesEnv.NODE_BASE_IMAGE).toBe(`fleetstream-local/node:${pinnedNode}`);
  });

  it('builds each local image from a Dockerfile in deploy/local', () => {
    for (const name of ['node', 'jre', 'kafka', 'cassandra', 'postgres', 'prometheus']) {
      expect({
        name,
        dockerfile: existsSync(join(repoRoot, 'deploy/local', name, 'Dockerfile')),
      }).toEqual({ name, dockerfile: true });
    }
  });

  it('leaves out SQL Server and Grafana (no Debian package) with profiles, and nothing it starts depends on them', () => {
    // Prepare
    const profiled = Object.entries(local.services)
      .filter(([, s]) => s.profiles?.length)
      .map(([n]) => n)
      .sort();
    const dependsOn = (name: string) => [
      ...Object.keys(base.services[name]?.depends_on ?? {}),
      ...Object.keys(local.services[name]?.depends_on ?? {}),
    ];
    const started = [...Object.keys(base.services), ...Object.keys(local.services)].filter(
      (n) => !profiled.includes(n),
    );

    // Assess
    expect(profiled).toEqual(['grafana', 'sqlserver']);
    expect(
      started.flatMap((n) =>
        dependsOn(n)
          .filter((d) => profiled.includes(d))
          .map((d) => `${n} -> ${d}`),
      ),
    ).toEqual([]);
  });

  it('makes PostgreSQL the asset register, read by sql-source in the exact xid mode with tombstones', () => {
    // Prepare
    const env = local.services['sql-source']!.environment!;
    const seed = readFileSync(join(repoRoot, 'k8s/overlays/local/seed.sql'), 'utf8');
    const column = (name: string) => new RegExp(`^\\s+${name}\\s+(\\w+)`, 'm').exec(seed)?.[1];

    // Assess
    expect(env).toMatchObject({ SQL_DIALECT: 'postgres', SQL_MODE: 'xid', SQL_TABLE: 'assets' });
    expect(new URL(interpolateDefaults(env.SQL_URL).value as string).hostname).toBe('postgres');
    expect({
      order: column(env.SQL_ORDER_COLUMN!),
      id: column(env.SQL_ID_COLUMN!),
      key: column(env.SQL_KEY_COLUMN!),
      deleted: column(env.SQL_DELETED_COLUMN!),
    }).toEqual({ order: 'xid8', id: 'text', key: 'text', deleted: 'boolean' });
    expect(seed).toMatch(/NEW\.txid := pg_current_xact_id\(\)/);
    expect(local.services['asset-register-seed']!.depends_on).toEqual({
      postgres: { condition: 'service_healthy' },
    });
  });
});
