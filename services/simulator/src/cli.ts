import { writeFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import { startHealthServer, type HealthServer } from '@fleetstream/stream';
import { loadSimulatorConfig } from './config.ts';
import { SimulatorError } from './errors.ts';
import { createSimulatorMetrics } from './metrics.ts';
import type { SimulatorOptions } from './options.ts';
import { createSimulator } from './simulator.ts';
import { formatSummary } from './summary.ts';

export const USAGE = `usage: node services/simulator/src/index.ts [options]
Each option has an environment variable (in brackets); a flag wins over its variable.
  --devices N          simulated devices (default 10) [SIM_DEVICES]
  --mode M             steady | burst | backlog (default steady) [SIM_MODE]
  --rate R             packets per second in total; 0 = as fast as acks come (default 10) [SIM_RATE]
  --duration S         seconds to run (default 30; 0 = until --packets per device,
                       or without --packets until stopped) [SIM_DURATION]
  --packets N          packets per device, then stop (default 0 = no limit) [SIM_PACKETS]
  --records N          AVL records per packet (default 1) [SIM_RECORDS]
  --tcp HOST:PORT      Teltonika TCP gateway [SIM_TCP]
  --http URL           HTTP ingest (with --tcp too, odd devices use HTTP) [SIM_HTTP]
  --token T            bearer token for --http [GATEWAY_TOKEN]
  --seed N             deterministic fleet (default 1) [SIM_SEED]
  --ack-loss P         probability of dropping a received ack (resend -> duplicate) [SIM_ACK_LOSS]
  --events M           backlog: events produced straight into the raw topic [SIM_EVENTS]
  --brokers LIST       backlog: Kafka brokers (default 127.0.0.1:19092) [KAFKA_BROKERS]
  --topic T            backlog: raw topic (default telemetry.raw) [RAW_TOPIC]
  --json FILE          write the summary as JSON [SIM_SUMMARY_FILE]
  --health-port P      /healthz, /readyz, /metrics on this port (default: none) [HEALTH_PORT]
`;

/** What the command runs: the simulator's options, where the summary goes, the health port. */
export interface CliPlan {
  options: SimulatorOptions;
  jsonFile: string | undefined;
  /** /healthz, /readyz and /metrics here; undefined = no health server. */
  healthPort: number | undefined;
}

/**
 * Flags and environment -> what to run (config.ts: a flag wins over its variable). BAD_OPTIONS,
 * naming the flag or the variable, on bad input. SIM_DURATION / --duration 0 without a packet
 * count runs until stopped (a container's feed).
 */
export function parseCli(argv: string[], env?: NodeJS.ProcessEnv): CliPlan {
  const c = loadSimulatorConfig(argv, env);
  const untilStopped = c.SIM_DURATION === 0 && c.SIM_PACKETS === 0;
  const options: SimulatorOptions = {
    devices: c.SIM_DEVICES,
    mode: c.SIM_MODE,
    rate: c.SIM_RATE,
    durationSec: untilStopped ? Number.POSITIVE_INFINITY : c.SIM_DURATION,
    packetsPerDevice: c.SIM_PACKETS,
    recordsPerPacket: c.SIM_RECORDS,
    tcp: c.SIM_TCP,
    http: c.SIM_HTTP,
    token: c.GATEWAY_TOKEN,
    seed: c.SIM_SEED,
    ackLossRate: c.SIM_ACK_LOSS,
    events: c.SIM_EVENTS,
    brokers: c.KAFKA_BROKERS ?? ['127.0.0.1:19092'],
    topic: c.RAW_TOPIC,
  };
  return { options, jsonFile: c.SIM_SUMMARY_FILE, healthPort: c.HEALTH_PORT };
}

/** The command: run, print the summary (text on stdout, JSON to the file), exit 0; bad input exits 2. */
export async function runCli(argv: string[], env?: NodeJS.ProcessEnv): Promise<number> {
  let parsed: CliPlan;
  try {
    parsed = parseCli(argv, env);
  } catch (err) {
    if (err instanceof SimulatorError && err.message === 'help') {
      process.stdout.write(USAGE);
      return 0;
    }
    process.stderr.write(`simulator: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const registry = new Registry();
  let sim: ReturnType<typeof createSimulator>;
  try {
    sim = createSimulator({ ...parsed.options, metrics: parsed.healthPort === undefined ? undefined : createSimulatorMetrics(registry) });
  } catch (err) {
    process.stderr.write(`simulator: ${(err as Error).message}\n`);
    return 2;
  }
  let health: HealthServer | undefined;
  if (parsed.healthPort !== undefined) {
    try {
      health = await startHealthServer({ port: parsed.healthPort, registry });
    } catch (err) {
      process.stderr.write(`simulator: health server on port ${parsed.healthPort}: ${(err as Error).message}\n`);
      return 1;
    }
    process.stderr.write(`simulator: /healthz, /readyz and /metrics on port ${health.port}\n`);
  }
  const onSignal = () => sim.stop();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const summary = await sim.run();
    process.stdout.write(formatSummary(summary));
    if (parsed.jsonFile) writeFileSync(parsed.jsonFile, `${JSON.stringify(summary, null, 2)}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`simulator: ${(err as Error).message}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await health?.close();
  }
}
