import { parseArgs } from 'node:util';
import { UsageError } from '../errors.ts';

export const LOAD_USAGE = `usage: fleetstream load [--rates 500,1000,2000,4000] [--devices 5000] [--step-seconds 30] [--records 1] [--warmup-seconds 20] [--idle-seconds 10] [--port-base N] [--env K=V ...] [--json FILE] [--svg FILE]
  --rates         events/s offered per step, in order (open loop: a fixed schedule, not as fast as acks come)
  --devices       simulated devices, half over TCP and half over HTTP (default 5000)
  --step-seconds  length of each step (default 30)
  --records       AVL records per packet / events per HTTP request (default 1)
  --warmup-seconds  before anything is measured, the first rate for this long, not recorded: freshly
                  started JVMs (Kafka, Cassandra) and services compile and size their pools (default 20; 0 skips it)
  --idle-seconds  before the steps, each process's CPU with nothing offered, so every step also reports
                  CPU ms/event above idle (default 10; 0 skips it)
  --port-base     the pipeline's 8 ports are N..N+7 instead of the demo's (another pipeline runs on those)
  --env           K=V for every service (repeatable), e.g. --env PARTITIONS_CONCURRENCY=4 to compare a setting
  --json, --svg   where the results and the chart go (default: in the run's folder under runs/)`;

export interface LoadCliOptions {
  rates: number[];
  devices: number;
  stepSeconds: number;
  recordsPerPacket: number;
  /** First of the pipeline's 8 ports; undefined: the demo's. */
  portBase?: number;
  /** Seconds of the unrecorded warm-up at the first rate (0: none). */
  warmupSeconds: number;
  /** Seconds of the idle measure before the steps (0: none). */
  idleSeconds: number;
  env: Record<string, string>;
  json?: string;
  svg?: string;
}

const positive = (name: string, text: string | undefined, def: number) => {
  if (text === undefined) return def;
  const v = Number(text);
  if (!Number.isInteger(v) || v < 1) throw new UsageError(`--${name} must be a whole number >= 1, got "${text}"`);
  return v;
};

const wholeOrZero = (name: string, text: string | undefined, def: number) => {
  if (text === undefined) return def;
  const v = Number(text);
  if (!Number.isInteger(v) || v < 0) throw new UsageError(`--${name} must be a whole number >= 0, got "${text}"`);
  return v;
};

/** Parses the verb's arguments; throws UsageError (CLI_USAGE) naming the option. */
export function parseLoadArgs(args: string[]): LoadCliOptions {
  let v: { rates?: string; devices?: string; 'step-seconds'?: string; records?: string; 'idle-seconds'?: string; 'warmup-seconds'?: string; 'port-base'?: string; env?: string[]; json?: string; svg?: string };
  try {
    v = parseArgs({
      args,
      options: { rates: { type: 'string' }, devices: { type: 'string' }, 'step-seconds': { type: 'string' }, records: { type: 'string' }, 'idle-seconds': { type: 'string' }, 'warmup-seconds': { type: 'string' }, 'port-base': { type: 'string' }, env: { type: 'string', multiple: true }, json: { type: 'string' }, svg: { type: 'string' } },
    }).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const rates = (v.rates ?? '500,1000,2000,4000').split(',').map((r) => positive('rates', r.trim(), 0));
  const recordsPerPacket = positive('records', v.records, 1);
  const idleSeconds = wholeOrZero('idle-seconds', v['idle-seconds'], 10);
  const warmupSeconds = wholeOrZero('warmup-seconds', v['warmup-seconds'], 20);
  if (recordsPerPacket > 255) throw new UsageError(`--records must be at most 255, got "${v.records}"`);
  const env: Record<string, string> = {};
  for (const kv of v.env ?? []) {
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(kv);
    if (!m) throw new UsageError(`--env takes NAME=value, got "${kv}"`);
    env[m[1]!] = m[2]!;
  }
  const portBase = v['port-base'] === undefined ? undefined : positive('port-base', v['port-base'], 0);
  if (portBase !== undefined && portBase > 65_528) throw new UsageError(`--port-base must leave room for 8 ports (at most 65528), got "${v['port-base']}"`);
  return { env, portBase, rates, devices: positive('devices', v.devices, 5000), stepSeconds: positive('step-seconds', v['step-seconds'], 30), recordsPerPacket, idleSeconds, warmupSeconds, json: v.json, svg: v.svg };
}
