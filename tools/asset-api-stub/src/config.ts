import { FleetstreamError } from '@fleetstream/stream/errors';
/** Settings of the stub process, from the environment (the only file that reads process.env). */
export interface StubConfig {
  port: number;
  host: string;
  latencyMs: number;
  errorRate: number;
  slowTailRate: number;
  slowTailMs: number;
}

/** Thrown for a malformed variable: the message names it and the rule. */
export class StubConfigError extends FleetstreamError<'ASSET_API_STUB_CONFIG_INVALID'> {
  readonly variable: string;
  constructor(variable: string, rule: string) {
    super('ASSET_API_STUB_CONFIG_INVALID', `${variable}: ${rule}`, { details: { variable } });
    this.variable = variable;
  }
}

function num(env: NodeJS.ProcessEnv, name: string, def: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return def;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < min || v > max) throw new StubConfigError(name, `must be a number in [${min}, ${max}] (got "${raw}")`);
  return v;
}

/** PORT (8090), HOST (0.0.0.0), LATENCY_MS (0), ERROR_RATE (0), SLOW_TAIL_RATE (0), SLOW_TAIL_MS (1000). */
export function loadStubConfig(env: NodeJS.ProcessEnv = process.env): Readonly<StubConfig> {
  return Object.freeze({
    port: num(env, 'PORT', 8090, 0, 65535),
    host: env.HOST?.trim() || '0.0.0.0',
    latencyMs: num(env, 'LATENCY_MS', 0, 0, 600_000),
    errorRate: num(env, 'ERROR_RATE', 0, 0, 1),
    slowTailRate: num(env, 'SLOW_TAIL_RATE', 0, 0, 1),
    slowTailMs: num(env, 'SLOW_TAIL_MS', 1000, 0, 600_000),
  });
}
