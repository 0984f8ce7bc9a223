import { parseArgs } from 'node:util';
import { UsageError } from '../errors.ts';

/** Faults `fleetstream chaos` knows how to inject (`--faults`, comma-separated; repeat one to inject it again). */
export const FAULT_KINDS = [
  'kill:gateway', 'kill:parse', 'kill:enrich', 'kill:store', 'kill:sql-source',
  'term:gateway', 'term:parse', 'term:enrich', 'term:store', 'term:sql-source',
  'scale:parse', 'scale:store',
  'kafka', 'cassandra',
  'schema',
] as const;

export type FaultKind = (typeof FAULT_KINDS)[number];

/**
 * The default schedule (the full run): every service killed twice and restarted once, both servers
 * restarted, two rebalances, and the enriched events' schema version changed (v1 -> v2) mid-run.
 */
export const DEFAULT_FAULTS: readonly FaultKind[] = [
  'kill:gateway', 'kill:parse', 'kill:enrich', 'kill:store', 'kill:sql-source',
  'term:gateway', 'term:parse', 'term:enrich', 'term:store', 'term:sql-source',
  'scale:parse', 'scale:store', 'kafka', 'cassandra', 'schema',
  'kill:gateway', 'kill:parse', 'kill:enrich', 'kill:store', 'kill:sql-source',
];

export interface ChaosOptions {
  events: number;
  seed: number;
  json?: string;
  faults: FaultKind[];
  /** Seconds over which the events are fed (the rate follows). */
  feedSeconds: number;
  devices: number;
  /** Keep the run's keyspace and asset table (for a look afterwards). */
  keep: boolean;
}

export const CHAOS_USAGE = `usage: fleetstream chaos --events N [--seed S] [--json FILE] [--faults LIST] [--feed-seconds S] [--devices D] [--keep]
  --events        events to feed through the gateway (TCP and HTTP)
  --seed          seed of the fleet, the fault schedule and the asset changes (default 1)
  --json          write the reconciliation as JSON to FILE
  --faults        comma list of ${FAULT_KINDS.join(', ')}; "none" for no fault (default: the full schedule)
  --feed-seconds  how long the feed lasts (default: events / 200, at least 60)
  --devices       simulated devices (default: min(500, events / 20))
  --keep          keep the run's Cassandra keyspace and PostgreSQL asset table
exit codes: 0 nothing lost or unexplained, 1 a failed run (lost or unexplained > 0), 2 bad input`;

/** Bad command-line input of `fleetstream chaos` (exit code 2). */
export class ChaosUsageError extends UsageError {}

function positiveInt(name: string, text: string | undefined, def: number): number {
  if (text === undefined) return def;
  const v = Number(text);
  if (!Number.isInteger(v) || v < 1) throw new ChaosUsageError(`--${name} must be an integer >= 1, got "${text}"`);
  return v;
}

/** Parses and checks `fleetstream chaos` arguments; throws ChaosUsageError naming the option. */
export function parseChaosArgs(args: string[]): ChaosOptions {
  let v: { events?: string; seed?: string; json?: string; faults?: string; 'feed-seconds'?: string; devices?: string; keep?: boolean };
  try {
    v = parseArgs({
      args,
      options: { events: { type: 'string' }, seed: { type: 'string' }, json: { type: 'string' }, faults: { type: 'string' }, 'feed-seconds': { type: 'string' }, devices: { type: 'string' }, keep: { type: 'boolean' } },
    }).values;
  } catch (err) {
    throw new ChaosUsageError((err as Error).message);
  }
  if (v.events === undefined) throw new ChaosUsageError('--events is required');
  const events = positiveInt('events', v.events, 0);
  const seed = positiveInt('seed', v.seed, 1);
  const feedSeconds = positiveInt('feed-seconds', v['feed-seconds'], Math.max(60, Math.ceil(events / 200)));
  const devices = positiveInt('devices', v.devices, Math.max(1, Math.min(500, Math.floor(events / 20))));
  let faults: FaultKind[] = [...DEFAULT_FAULTS];
  if (v.faults !== undefined) {
    const list = v.faults.split(',').map((s) => s.trim()).filter(Boolean);
    if (list.length === 1 && list[0] === 'none') faults = [];
    else {
      const bad = list.filter((f) => !(FAULT_KINDS as readonly string[]).includes(f));
      if (bad.length > 0 || list.length === 0) throw new ChaosUsageError(`--faults: unknown fault ${bad.join(', ') || '(empty)'}; known: ${FAULT_KINDS.join(', ')}, none`);
      faults = list as FaultKind[];
    }
  }
  return { events, seed, json: v.json, faults, feedSeconds, devices, keep: v.keep === true };
}
