import { z } from 'zod';
import { ConfigError } from './errors.ts';
import { tracingConfigShape } from './tracing-config.ts';

/**
 * Environment configuration: one zod schema per service, validated once at start. The first
 * failing variable becomes a ConfigError naming it and the rule; the result is frozen.
 */
export function loadConfig<S extends z.ZodObject>(schema: S, env: NodeJS.ProcessEnv = process.env): Readonly<z.infer<S>> {
  const input: Record<string, string | undefined> = {};
  for (const key of Object.keys(schema.shape)) {
    const v = env[key];
    input[key] = v === undefined || v.trim() === '' ? undefined : v.trim();
  }
  const result = schema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const variable = String(issue.path[0] ?? '(config)');
    const rule = input[variable] === undefined ? `is required (${issue.message})` : `${issue.message} (got "${redactIfSecret(variable, input[variable]!)}")`;
    throw new ConfigError(variable, rule);
  }
  return Object.freeze(result.data) as Readonly<z.infer<S>>;
}

const redactIfSecret = (name: string, value: string) => (/PASSWORD|TOKEN|SECRET/i.test(name) ? '***' : value);

/** Small builders so every service spells its rules the same way. */
export const env = {
  int: (def: number, range: { min?: number; max?: number } = {}) =>
    z.coerce
      .number({ message: 'must be an integer' })
      .int({ message: 'must be an integer' })
      .min(range.min ?? Number.MIN_SAFE_INTEGER, { message: `must be >= ${range.min}` })
      .max(range.max ?? Number.MAX_SAFE_INTEGER, { message: `must be <= ${range.max}` })
      .default(def),
  port: (def: number) => env.int(def, { min: 0, max: 65535 }),
  bool: (def: boolean) =>
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
      .transform((v) => v === 'true' || v === '1' || v === 'yes')
      .default(def),
  str: (def?: string) => (def === undefined ? z.string({ message: 'must be text' }).min(1) : z.string().min(1).default(def)),
  optionalStr: () => z.string().min(1).optional(),
  hostPorts: () =>
    z
      .string({ message: 'must be a comma-separated list of host:port' })
      .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
      .refine((list) => list.length > 0 && list.every((hp) => /^[^\s:]+:\d{1,5}$/.test(hp)), { message: 'must be a comma-separated list of host:port' }),
  url: (def?: string) => {
    const s = z.string().url({ message: 'must be a URL' });
    return def === undefined ? s : s.default(def);
  },
  logLevel: () => z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { message: 'must be one of fatal, error, warn, info, debug, trace, silent' }).default('info'),
};

/** Variables every service reads: Kafka connection, health port, log level, shutdown deadline. */
export const baseConfigShape = {
  KAFKA_BROKERS: env.hostPorts(),
  /** The Kafka client behind the port: kafkajs (default) or @platformatic/kafka (transactions on both). */
  KAFKA_CLIENT: z.enum(['kafkajs', 'platformatic'], { message: 'must be kafkajs or platformatic' }).default('kafkajs'),
  KAFKA_CLIENT_ID: env.optionalStr(),
  KAFKA_SSL: env.bool(false),
  KAFKA_SSL_CA_FILE: env.optionalStr(),
  /** false accepts any broker certificate: for a test broker only, never in production. */
  KAFKA_SSL_REJECT_UNAUTHORIZED: env.bool(true),
  KAFKA_SASL_MECHANISM: z.enum(['scram-sha-256', 'scram-sha-512', 'plain'], { message: 'must be scram-sha-256, scram-sha-512 or plain' }).optional(),
  KAFKA_SASL_USERNAME: env.optionalStr(),
  KAFKA_SASL_PASSWORD: env.optionalStr(),
  HEALTH_PORT: env.port(9464),
  LOG_LEVEL: env.logLevel(),
  SHUTDOWN_TIMEOUT_MS: env.int(25_000, { min: 100, max: 600_000 }),
  /** OpenTelemetry tracing (off unless an OTLP endpoint is set): the standard OTEL_* variables. */
  ...tracingConfigShape,
};

/** Variables of services that consume: the group and the throttle. */
export const consumerConfigShape = {
  CONSUMER_GROUP: env.optionalStr(),
  MAX_RECORDS_PER_BATCH: env.int(500, { min: 1, max: 100_000 }),
  MIN_FETCH_INTERVAL_MS: env.int(0, { min: 0, max: 60_000 }),
  MAX_RECORDS_PER_SEC: env.int(0, { min: 0 }),
  MAX_BYTES_PER_SEC: env.int(0, { min: 0 }),
  MAX_IN_FLIGHT: env.int(5_000, { min: 1 }),
  COMMIT_INTERVAL_MS: env.int(1_000, { min: 10, max: 60_000 }),
  /**
   * Longest time the broker holds a fetch while it has no record for it (the fetch asks for 1 byte,
   * so a record that arrives ends the wait at once): a bound of the wait of a record on an idle
   * topic, not a delay every record pays (docs/architecture.md, "Latency at low load").
   */
  FETCH_MAX_WAIT_MS: env.int(500, { min: 10, max: 30_000 }),
  /**
   * Bytes the broker waits for (up to FETCH_MAX_WAIT_MS) before it answers a fetch. 1 answers as
   * soon as a record is there; more makes each fetch carry more records at the price of a wait of
   * up to FETCH_MAX_WAIT_MS per hop (docs/architecture.md, "Latency at low load").
   */
  FETCH_MIN_BYTES: env.int(1, { min: 1, max: 52_428_800 }),
  /** Partition batches of one fetch handled at once: kafkajs fetches again only when all of a fetch are done, so fewer than the partitions a member owns makes a fetch's batches wait in rounds (12: the topology's partitions). */
  PARTITIONS_CONCURRENCY: env.int(12, { min: 1, max: 256 }),
  /** How often the consumer lag is read from the broker (end offsets against the position). */
  LAG_INTERVAL_MS: env.int(5_000, { min: 100, max: 600_000 }),
  DLQ_TOPIC: env.str('telemetry.dlq'),
};

/**
 * Variables of Kafka -> Kafka stages that can run exactly-once (parse, enrich): with EXACTLY_ONCE
 * a chunk's outputs, dead letters and input offsets commit in one Kafka transaction (see
 * {@link exactlyOnceFromConfig} for the transactional id).
 */
export const exactlyOnceConfigShape = {
  EXACTLY_ONCE: env.bool(false),
  /** The producer's transactional id: stable per instance across restarts, never shared by two live instances. */
  TRANSACTIONAL_ID: env.optionalStr(),
  /** Set by Docker (the container id) and Kubernetes (the pod name): the default transactional id's instance part. */
  HOSTNAME: env.optionalStr(),
};

/**
 * The `exactlyOnce` option of kafkaSink from the configuration: undefined unless EXACTLY_ONCE,
 * else TRANSACTIONAL_ID or `fleetstream-<service>-<HOSTNAME>`. The id is what fences a zombie
 * (kafkajs commits offsets without the group generation): a restart of the same instance must
 * reuse it and two live instances must never share it. A pod's HOSTNAME survives container
 * restarts; a StatefulSet's (`parse-0`) also survives the pod's replacement, a Deployment's does not.
 */
export function exactlyOnceFromConfig(service: string, config: { EXACTLY_ONCE: boolean; TRANSACTIONAL_ID?: string; HOSTNAME?: string }): { transactionalId: string } | undefined {
  if (!config.EXACTLY_ONCE) return undefined;
  if (config.TRANSACTIONAL_ID) return { transactionalId: config.TRANSACTIONAL_ID };
  if (config.HOSTNAME) return { transactionalId: `fleetstream-${service}-${config.HOSTNAME}` };
  throw new ConfigError('TRANSACTIONAL_ID', 'is required when EXACTLY_ONCE is true and HOSTNAME is not set (a stable id per instance)');
}

export const baseConfigSchema = z.object(baseConfigShape);
export type BaseConfig = z.infer<typeof baseConfigSchema>;
export const consumerConfigSchema = z.object({ ...baseConfigShape, ...consumerConfigShape });
export type ConsumerConfig = z.infer<typeof consumerConfigSchema>;
