import { afterAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { dockerignoreExcludes, parseDockerfile } from '../src/dockerfile.ts';
import { paths, repoRoot } from '../src/paths.ts';

const dockerfileText = readFileSync(paths.dockerfile, 'utf8');
const instructions = parseDockerfile(dockerfileText);
const dockerignore = readFileSync(paths.dockerignore, 'utf8');
const stages = [...new Set(instructions.map((i) => i.stage))];
const runtime = instructions.filter((i) => i.stage === stages[stages.length - 1]);

describe('parseDockerfile', () => {
  it('joins continuation lines, drops comments and tags each instruction with its stage', () => {
    // Act
    const result = parseDockerfile(
      '# c\nFROM node:24 AS a\nRUN echo 1 \\\n  # inner comment\n  && echo 2\nFROM a\nCMD ["x"]\n',
    );

    // Assess
    expect(result).toEqual([
      { instruction: 'FROM', args: 'node:24 AS a', stage: 'a', line: 2 },
      { instruction: 'RUN', args: 'echo 1 && echo 2', stage: 'a', line: 3 },
      { instruction: 'FROM', args: 'a', stage: '1', line: 6 },
      { instruction: 'CMD', args: '["x"]', stage: '1', line: 7 },
    ]);
  });
});

describe('dockerignoreExcludes', () => {
  it.each([
    ['node_modules/x/index.js', true],
    ['libs/stream/node_modules/x.js', true],
    ['services/parse/dist/index.js', true],
    ['deploy/docker/healthcheck.mjs', false],
    ['deploy/prometheus/alerts.yml', true],
    ['services/parse/src/index.ts', false],
  ])('decides %s -> excluded %s', (path, excluded) => {
    expect(
      dockerignoreExcludes(
        '**/node_modules\n**/dist\ndeploy\n!deploy/docker/healthcheck.mjs\n',
        path,
      ),
    ).toBe(excluded);
  });
});

describe('Dockerfile', () => {
  it('builds on the Node version scripts/fs.sh pins, in prune, build and runtime stages', () => {
    // Prepare
    const pinned = /^NODE_VERSION=(\S+)$/m.exec(readFileSync(paths.fsScript, 'utf8'))?.[1];
    const arg = instructions.find(
      (i) => i.instruction === 'ARG' && i.args.startsWith('NODE_VERSION='),
    );

    // Assess
    expect(arg?.args).toBe(`NODE_VERSION=${pinned}`);
    expect(
      instructions.find((i) => i.instruction === 'ARG' && i.args.startsWith('NODE_BASE_IMAGE='))
        ?.args,
    ).toBe('NODE_BASE_IMAGE=node:${NODE_VERSION}-slim');
    expect(instructions.filter((i) => i.instruction === 'FROM').map((i) => i.args)).toEqual([
      '${NODE_BASE_IMAGE} AS base',
      'base AS prune',
      'base AS build',
      'base AS runtime',
    ]);
  });

  it('installs with npm ci, builds with turbo and keeps production dependencies only', () => {
    const build = instructions
      .filter((i) => i.stage === 'build' && i.instruction === 'RUN')
      .map((i) => i.args)
      .join('\n');
    expect(build).toContain('npm ci --ignore-scripts');
    expect(build).toContain('npx turbo run build --filter=');
    expect(build).toContain('npm prune --omit=dev');
  });

  it('runs node itself as PID 1, as a numeric non-root user, with a HEALTHCHECK on the health port', () => {
    // Prepare
    const last = (name: string) => runtime.filter((i) => i.instruction === name).at(-1)?.args;

    // Assess
    expect(JSON.parse(last('ENTRYPOINT')!)).toEqual(['node', '--conditions=production']);
    expect(JSON.parse(last('CMD')!)).toEqual(['dist/index.js']);
    expect(last('USER')).toMatch(/^[1-9]\d*:[1-9]\d*$/);
    expect(last('HEALTHCHECK')).toMatch(
      /CMD \["node", "\/usr\/local\/lib\/fleetstream\/healthcheck\.mjs"\]$/,
    );
    expect(last('WORKDIR')).toBe('/app/${SERVICE}');
    expect(
      runtime.some(
        (i) =>
          i.instruction === 'COPY' &&
          i.args === 'deploy/docker/healthcheck.mjs /usr/local/lib/fleetstream/healthcheck.mjs',
      ),
    ).toBe(true);
  });

  it('bakes the topology into the tools/cli image only', () => {
    expect(instructions.find((i) => i.stage === 'prune' && i.args.includes('topology'))?.args).toBe(
      'if [ "${SERVICE}" = "tools/cli" ]; then cp -r topology /out/full/topology; fi',
    );
  });

  it('copies only files that exist and that .dockerignore lets into the context', () => {
    // Prepare
    const sources = instructions
      .filter((i) => i.instruction === 'COPY' && !i.args.startsWith('--from'))
      .flatMap((i) => i.args.split(' ').slice(0, -1))
      .filter((s) => s !== '.');

    // Assess
    expect(sources).toEqual(['tsconfig.base.json', 'deploy/docker/healthcheck.mjs']);
    for (const source of sources) {
      expect({
        source,
        exists: existsSync(join(repoRoot, source)),
        excluded: dockerignoreExcludes(dockerignore, source),
      }).toEqual({ source, exists: true, excluded: false });
    }
  });

  it('keeps the sources and manifests in the build context and the build output and secrets out', () => {
    expect(
      [
        'package.json',
        'package-lock.json',
        'turbo.json',
        'tsconfig.base.json',
        'libs/stream/src/index.ts',
        'services/parse/package.json',
        'tools/cli/bin/fleetstream.js',
        'topology/topology.json',
      ].filter((p) => dockerignoreExcludes(dockerignore, p)),
    ).toEqual([]);
    expect(
      [
        'node_modules/kafkajs/index.js',
        'libs/stream/dist/index.js',
        '.git/HEAD',
        '.devstack/kafka.log',
        'services/parse/test-results.json',
      ].filter((p) => !dockerignoreExcludes(dockerignore, p)),
    ).toEqual([]);
  });
});

describe('deploy/docker/healthcheck.mjs', () => {
  const servers: Server[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  });

  async function serve(status: number): Promise<number> {
    const server = createServer((req, res) => {
      res.writeHead(req.url === '/healthz' ? status : 404).end();
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  }

  function runHealthcheck(env: Record<string, string>): Promise<number | null> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [join(repoRoot, 'deploy/docker/healthcheck.mjs')], {
        env: { PATH: process.env.PATH ?? '', ...env },
        stdio: 'ignore',
      });
      child.on('error', reject);
      child.on('exit', resolve);
    });
  }

  it('exits 0 when /healthz on HEALTH_PORT answers 200', async () => {
    const port = await serve(200);
    expect(await runHealthcheck({ HEALTH_PORT: String(port) })).toBe(0);
  });

  it('exits 1 when /healthz answers 503', async () => {
    const port = await serve(503);
    expect(await runHealthcheck({ HEALTH_PORT: String(port) })).toBe(1);
  });

  it('exits 0 on any answer of HEALTHCHECK_URL when HEALTHCHECK_ANY_STATUS is true', async () => {
    const port = await serve(200);
    expect(
      await runHealthcheck({
        HEALTHCHECK_URL: `http://127.0.0.1:${port}/assets/healthcheck`,
        HEALTHCHECK_ANY_STATUS: 'true',
      }),
    ).toBe(0);
  });

  it('exits 1 when nothing listens', async () => {
    // Prepare: a port that was free a moment ago
    const port = await serve(200);
    await new Promise((resolve) => servers.pop()!.close(resolve));

    // Act + Assess
    expect(
      await runHealthcheck({ HEALTH_PORT: String(port), HEALTHCHECK_TIMEOUT_MS: '1000' }),
    ).toBe(1);
  });
});
