import { parseArgs } from 'node:util';
import { z } from 'zod';
import { ConfigError, env, loadConfig } from '@fleetstream/stream';
import { SimulatorError } from './errors.ts';

/** A number >= 0 (fractions allowed: rates, seconds, probabilities). */
const nonNegative = (def: number, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce
    .number({ message: 'must be a number' })
    .min(0, { message: 'must be a number >= 0' })
    .max(max, { message: `must be <= ${max}` })
    .default(def);

/**
 * The simulator's settings, one environment variable each (only this file reads process.env).
 * Every one has a command-line flag too ({@link FLAGS}); a flag wins over its variable, so a
 * command typed by hand overrides what a container's environment set.
 */
export const simulatorConfigSchema = z.object({
  SIM_MODE: z.enum(['steady', 'burst', 'backlog'], { message: 'must be steady, burst or backlog' }).default('steady'),
  SIM_DEVICES: env.int(10, { min: 1, max: 1_000_000 }),
  /** Packets per second in total; 0 = every device as fast as its acks come. */
  SIM_RATE: nonNegative(10),
  /** Seconds to run; 0 = until stopped (SIGTERM), or until SIM_PACKETS per device. */
  SIM_DURATION: nonNegative(30),
  SIM_PACKETS: env.int(0, { min: 0 }),
  SIM_RECORDS: env.int(1, { min: 1, max: 255 }),
  /** Teltonika TCP gateway, host:port. */
  SIM_TCP: z.string().regex(/^[^\s:]+:\d{1,5}$/, { message: 'must be host:port' }).optional(),
  /** HTTP ingest base URL; with SIM_TCP too, odd devices use HTTP. */
  SIM_HTTP: z.string().url({ message: 'must be a URL' }).optional(),
  /** Bearer token for HTTP ingest. */
  GATEWAY_TOKEN: env.optionalStr(),
  SIM_SEED: env.int(1, { min: 0 }),
  SIM_ACK_LOSS: nonNegative(0, 1),
  /** backlog mode: events produced straight into RAW_TOPIC. */
  SIM_EVENTS: env.int(0, { min: 0 }),
  /** backlog mode only: the Kafka brokers. */
  KAFKA_BROKERS: env.hostPorts().optional(),
  RAW_TOPIC: env.str('telemetry.raw'),
  /** Where the end-of-run summary is written as JSON. */
  SIM_SUMMARY_FILE: env.optionalStr(),
  /** /healthz, /readyz and /metrics on this port (0 = any free port); unset = no health server. */
  HEALTH_PORT: z.coerce.number({ message: 'must be an integer' }).int({ message: 'must be an integer' }).min(0, { message: 'must be >= 0' }).max(65535, { message: 'must be <= 65535' }).optional(),
});

export type SimulatorConfig = z.infer<typeof simulatorConfigSchema>;

/** The flag of each variable (`--devices` sets SIM_DEVICES). */
export const FLAGS = {
  mode: 'SIM_MODE',
  devices: 'SIM_DEVICES',
  rate: 'SIM_RATE',
  duration: 'SIM_DURATION',
  packets: 'SIM_PACKETS',
  records: 'SIM_RECORDS',
  tcp: 'SIM_TCP',
  http: 'SIM_HTTP',
  token: 'GATEWAY_TOKEN',
  seed: 'SIM_SEED',
  'ack-loss': 'SIM_ACK_LOSS',
  events: 'SIM_EVENTS',
  brokers: 'KAFKA_BROKERS',
  topic: 'RAW_TOPIC',
  json: 'SIM_SUMMARY_FILE',
  'health-port': 'HEALTH_PORT',
} as const satisfies Record<string, keyof SimulatorConfig>;

/**
 * Flags and environment -> the validated, frozen settings. A flag wins over its variable. Bad input
 * is a BAD_OPTIONS SimulatorError naming the flag (when the value came from one) or the variable,
 * and the rule; `--help` is BAD_OPTIONS with the message `help`.
 */
export function loadSimulatorConfig(argv: string[], environment: NodeJS.ProcessEnv = process.env): Readonly<SimulatorConfig> {
  let values: Record<string, string | boolean | undefined>;
  try {
    const options = Object.fromEntries(Object.keys(FLAGS).map((flag) => [flag, { type: 'string' as const }]));
    values = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean' } }, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new SimulatorError('BAD_OPTIONS', (err as Error).message);
  }
  if (values.help) throw new SimulatorError('BAD_OPTIONS', 'help');
  const input: NodeJS.ProcessEnv = { ...environment };
  const fromFlag = new Map<string, string>();
  for (const [flag, variable] of Object.entries(FLAGS)) {
    const v = values[flag];
    if (typeof v !== 'string') continue;
    input[variable] = v;
    fromFlag.set(variable, flag);
  }
  try {
    return loadConfig(simulatorConfigSchema, input);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const flag = fromFlag.get(err.variable);
    throw new SimulatorError('BAD_OPTIONS', flag ? `--${flag}${err.message.slice(err.variable.length)}` : err.message, { cause: err });
  }
}
