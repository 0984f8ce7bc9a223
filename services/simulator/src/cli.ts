import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SimulatorError } from './errors.ts';
import type { SimulatorMode, SimulatorOptions } from './options.ts';
import { createSimulator } from './simulator.ts';
import { formatSummary } from './summary.ts';

export const USAGE = `usage: node services/simulator/src/index.ts [options]
  --devices N          simulated devices (default 10)
  --mode M             steady | burst | backlog (default steady)
  --rate R             packets per second in total; 0 = as fast as acks come (default 10)
  --duration S         seconds to run (default 30; 0 = until --packets per device)
  --packets N          packets per device, then stop (default 0 = no limit)
  --records N          AVL records per packet (default 1)
  --tcp HOST:PORT      Teltonika TCP gateway
  --http URL           HTTP ingest (with --tcp too, odd devices use HTTP)
  --token T            bearer token for --http (or GATEWAY_TOKEN)
  --seed N             deterministic fleet (default 1)
  --ack-loss P         probability of dropping a received ack (resend -> duplicate)
  --events M           backlog: events produced straight into the raw topic
  --brokers LIST       backlog: Kafka brokers (default KAFKA_BROKERS or 127.0.0.1:19092)
  --topic T            backlog: raw topic (default RAW_TOPIC or telemetry.raw)
  --json FILE          write the summary as JSON (or SIM_SUMMARY_FILE)
`;

function num(v: string | undefined, name: string, def: number): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new SimulatorError('SIMULATOR_BAD_OPTIONS', `--${name} must be a number >= 0, got "${v}"`);
  return n;
}

/** Command line -> options (BAD_OPTIONS with the flag's name on bad input). */
export function parseCli(argv: string[], env: NodeJS.ProcessEnv): { options: SimulatorOptions; jsonFile: string | undefined } {
  const { values } = parseArgs({
    args: argv,
    options: {
      devices: { type: 'string' },
      mode: { type: 'string' },
      rate: { type: 'string' },
      duration: { type: 'string' },
      packets: { type: 'string' },
      records: { type: 'string' },
      tcp: { type: 'string' },
      http: { type: 'string' },
      token: { type: 'string' },
      seed: { type: 'string' },
      'ack-loss': { type: 'string' },
      events: { type: 'string' },
      brokers: { type: 'string' },
      topic: { type: 'string' },
      json: { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) throw new SimulatorError('SIMULATOR_BAD_OPTIONS', 'help');
  const mode = (values.mode ?? 'steady') as SimulatorMode;
  if (!['steady', 'burst', 'backlog'].includes(mode)) throw new SimulatorError('SIMULATOR_BAD_OPTIONS', `--mode must be steady, burst or backlog, got "${mode}"`);
  const options: SimulatorOptions = {
    devices: num(values.devices, 'devices', 10),
    mode,
    rate: num(values.rate, 'rate', 10),
    durationSec: num(values.duration, 'duration', 30),
    packetsPerDevice: num(values.packets, 'packets', 0),
    recordsPerPacket: num(values.records, 'records', 1),
    tcp: values.tcp,
    http: values.http,
    token: values.token ?? env.GATEWAY_TOKEN,
    seed: num(values.seed, 'seed', 1),
    ackLossRate: num(values['ack-loss'], 'ack-loss', 0),
    events: num(values.events, 'events', 0),
    brokers: (values.brokers ?? env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',').map((s) => s.trim()).filter(Boolean),
    topic: values.topic ?? env.RAW_TOPIC ?? 'telemetry.raw',
  };
  return { options, jsonFile: values.json ?? env.SIM_SUMMARY_FILE };
}

/** The command: run, print the summary (text on stdout, JSON to the file), exit 0; bad input exits 2. */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let parsed: ReturnType<typeof parseCli>;
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
  let sim: ReturnType<typeof createSimulator>;
  try {
    sim = createSimulator(parsed.options);
  } catch (err) {
    process.stderr.write(`simulator: ${(err as Error).message}\n`);
    return 2;
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
  }
}
