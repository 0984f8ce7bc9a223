import { z } from 'zod';
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

/** A number in [min, max] with a default; the message says the range. */
const num = (def: number, min: number, max: number) =>
  z.coerce
    .number({ message: `must be a number in [${min}, ${max}]` })
    .min(min, { message: `must be a number in [${min}, ${max}]` })
    .max(max, { message: `must be a number in [${min}, ${max}]` })
    .default(def);

/** The stub's environment (zod): tools/deploy-check reads its keys to check the deploy files. */
export const stubConfigSchema = z.object({
  PORT: num(8090, 0, 65535),
  HOST: z.string().min(1).default('0.0.0.0'),
  LATENCY_MS: num(0, 0, 600_000),
  ERROR_RATE: num(0, 0, 1),
  SLOW_TAIL_RATE: num(0, 0, 1),
  SLOW_TAIL_MS: num(1000, 0, 600_000),
});

/** PORT (8090), HOST (0.0.0.0), LATENCY_MS (0), ERROR_RATE (0), SLOW_TAIL_RATE (0), SLOW_TAIL_MS (1000). */
export function loadStubConfig(env: NodeJS.ProcessEnv = process.env): Readonly<StubConfig> {
  const input = Object.fromEntries(Object.keys(stubConfigSchema.shape).map((k) => [k, env[k]?.trim() || undefined]));
  const result = stubConfigSchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const variable = String(issue.path[0]);
    throw new StubConfigError(variable, `${issue.message} (got "${input[variable]}")`);
  }
  const c = result.data;
  return Object.freeze({ port: c.PORT, host: c.HOST, latencyMs: c.LATENCY_MS, errorRate: c.ERROR_RATE, slowTailRate: c.SLOW_TAIL_RATE, slowTailMs: c.SLOW_TAIL_MS });
}
