import { z } from 'zod';
import { CollectorError } from './errors.ts';

/** Settings of the collector process, from the environment (the only file that reads process.env). */
export interface CollectorConfig {
  port: number;
  host: string;
  maxTraces: number;
  maxSpansPerTrace: number;
  maxBodyBytes: number;
  summaryIdleMs: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

const int = (def: number, min: number, max: number) =>
  z.coerce
    .number({ message: `must be an integer in [${min}, ${max}]` })
    .int({ message: `must be an integer in [${min}, ${max}]` })
    .min(min, { message: `must be an integer in [${min}, ${max}]` })
    .max(max, { message: `must be an integer in [${min}, ${max}]` })
    .default(def);

/** The collector's environment (zod): tools/deploy-check reads its keys to check the deploy files. */
export const collectorConfigSchema = z.object({
  /** OTLP/HTTP's usual port; /healthz, /metrics and the read API share it. */
  COLLECTOR_PORT: int(4318, 0, 65535),
  COLLECTOR_HOST: z.string().min(1).default('0.0.0.0'),
  COLLECTOR_MAX_TRACES: int(2000, 1, 1_000_000),
  COLLECTOR_MAX_SPANS_PER_TRACE: int(1000, 1, 1_000_000),
  /** Largest request body accepted, after gzip (413 above it). */
  COLLECTOR_MAX_BODY_BYTES: int(8 * 1024 * 1024, 1024, 256 * 1024 * 1024),
  /** A trace's summary line is logged once nothing arrived for it for this long (0: never). */
  COLLECTOR_SUMMARY_IDLE_MS: int(5000, 0, 3_600_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** Validated and frozen; a bad variable throws TRACE_COLLECTOR_CONFIG_INVALID naming it and the rule. */
export function loadCollectorConfig(env: NodeJS.ProcessEnv = process.env): Readonly<CollectorConfig> {
  const input = Object.fromEntries(Object.keys(collectorConfigSchema.shape).map((k) => [k, env[k]?.trim() || undefined]));
  const result = collectorConfigSchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const variable = String(issue.path[0]);
    throw new CollectorError('TRACE_COLLECTOR_CONFIG_INVALID', `${variable}: ${issue.message} (got "${input[variable]}")`, { details: { variable } });
  }
  const c = result.data;
  return Object.freeze({
    port: c.COLLECTOR_PORT,
    host: c.COLLECTOR_HOST,
    maxTraces: c.COLLECTOR_MAX_TRACES,
    maxSpansPerTrace: c.COLLECTOR_MAX_SPANS_PER_TRACE,
    maxBodyBytes: c.COLLECTOR_MAX_BODY_BYTES,
    summaryIdleMs: c.COLLECTOR_SUMMARY_IDLE_MS,
    logLevel: c.LOG_LEVEL,
  });
}
