import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { DeployCheckError } from './errors.ts';
import { repoRoot } from './paths.ts';

/** One local compose project (scripts/compose/local.sh), optionally with one more override file. */
export interface ComposeProject {
  /** COMPOSE_PROJECT_NAME: containers, network and volumes are named after it. */
  name: string;
  /** An extra compose file laid over docker-compose.yml + deploy/local/docker-compose.local.yml. */
  override?: string;
}

/** What the engine says about one service's container. */
export interface ContainerState {
  id: string;
  /** created | running | restarting | exited | ... */
  status: string;
  /** healthy | unhealthy | starting, or undefined without a health check. */
  health: string | undefined;
  exitCode: number;
  /** Its address on the project network (reachable from this machine). */
  ip: string;
}

const localScript = join(repoRoot, 'scripts/compose/local.sh');

function lastLines(text: string, n = 15): string {
  return text.trim().split('\n').slice(-n).join('\n');
}

/**
 * Runs `scripts/compose/local.sh <args>` for the project and returns its stdout. A non-zero exit
 * is a DEPLOY_CHECK_COMPOSE_FAILED error with the end of stderr. `inherit` streams stderr (long builds).
 */
export function compose(
  project: ComposeProject,
  args: string[],
  options: { inherit?: boolean } = {},
): string {
  const files = project.override ? [project.override] : [];
  const result = spawnSync('bash', [localScript, ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', options.inherit ? 'inherit' : 'pipe'],
    env: {
      ...process.env,
      COMPOSE_PROJECT_NAME: project.name,
      FLEETSTREAM_COMPOSE_OVERRIDE: files.join(':'),
    },
  });
  if (result.status !== 0) {
    throw new DeployCheckError(
      'DEPLOY_CHECK_COMPOSE_FAILED',
      `local.sh ${args.join(' ')} exited ${result.status ?? result.signal}: ${lastLines(result.stderr ?? '')}`,
      { args },
    );
  }
  return result.stdout;
}

function docker(args: string[]): string {
  const result = spawnSync('docker', args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (result.status !== 0) {
    throw new DeployCheckError(
      'DEPLOY_CHECK_COMPOSE_FAILED',
      `docker ${args[0]} failed: ${lastLines(result.stderr)}`,
      { args },
    );
  }
  return result.stdout;
}

/** The state of every container of the project, by compose service (one `docker inspect`). */
export function containerStates(project: ComposeProject): Map<string, ContainerState> {
  const states = new Map<string, ContainerState>();
  const ids = docker([
    'ps',
    '-a',
    '-q',
    '--filter',
    `label=com.docker.compose.project=${project.name}`,
  ])
    .split('\n')
    .filter(Boolean);
  if (ids.length === 0) return states;
  const inspected = JSON.parse(docker(['inspect', ...ids])) as Array<{
    Id: string;
    Config: { Labels: Record<string, string> };
    State: { Status: string; ExitCode: number; Health?: { Status: string } };
    NetworkSettings: { Networks: Record<string, { IPAddress: string }> };
  }>;
  for (const c of inspected) {
    states.set(c.Config.Labels['com.docker.compose.service'] ?? '', {
      id: c.Id,
      status: c.State.Status,
      health: c.State.Health?.Status,
      exitCode: c.State.ExitCode,
      ip: Object.values(c.NetworkSettings.Networks)[0]?.IPAddress ?? '',
    });
  }
  return states;
}

/** The state of one service's container, or undefined when it has none. */
export function containerState(
  project: ComposeProject,
  service: string,
): ContainerState | undefined {
  return containerStates(project).get(service);
}

/**
 * Calls `probe` until it returns a value (not undefined), every `everyMs`, and returns that value;
 * after `timeoutMs` fails with DEPLOY_CHECK_COMPOSE_TIMEOUT naming `what` and the last thing `probe` saw.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  options: { timeoutMs: number; everyMs?: number; seen?: () => unknown },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const seen = options.seen ? ` (last seen: ${JSON.stringify(options.seen())})` : '';
      const why = lastError ? ` (last error: ${(lastError as Error).message})` : '';
      throw new DeployCheckError(
        'DEPLOY_CHECK_COMPOSE_TIMEOUT',
        `timed out after ${options.timeoutMs} ms waiting for ${what}${seen}${why}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, options.everyMs ?? 2_000));
  }
}

/** True when a service is where its kind should be: a one-shot exited 0, a server running and healthy. */
export function isSettled(state: ContainerState | undefined, kind: 'server' | 'one-shot'): boolean {
  if (!state) return false;
  if (kind === 'one-shot') return state.status === 'exited' && state.exitCode === 0;
  return state.status === 'running' && state.health === 'healthy';
}

/** Reads one sample of a Prometheus text exposition: the sum over every series of `name`. */
export function sumOfMetric(exposition: string, name: string): number {
  let sum = 0;
  for (const line of exposition.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{[^}]*\})?\s+(\S+)/.exec(line);
    if (match && match[1] === name) sum += Number(match[2]);
  }
  return sum;
}
