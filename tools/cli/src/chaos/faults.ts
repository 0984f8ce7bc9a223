import { restart } from '@fleetstream/devstack';
import type { ChaosPipeline } from './chaos-pipeline.ts';
import type { FaultKind } from './options.ts';

/** One injected fault, as the JSON lists it. */
export interface FaultRecord {
  kind: FaultKind;
  /** Seconds since the feed started, when the fault began. */
  at: number;
  /** How long until the pipeline was whole again (restarted process ready, server answering, extra instances gone). */
  seconds: number;
  detail: string;
  error?: string;
}

export interface ScheduledFault {
  kind: FaultKind;
  /** Ms after the feed start. */
  atMs: number;
  /** Seeded extras: pause before a restart, how long the extra instances run. */
  pauseMs: number;
}

/**
 * The seeded schedule: the faults in a seeded order, spread over `windowMs` with seeded jitter.
 * A `schema` change is a planned deploy, not a failure: it comes at a seeded point in the middle
 * third of the window (so events flow through both versions), whatever the failures do.
 * The same seed and list give the same schedule.
 */
export function scheduleFaults(faults: readonly FaultKind[], windowMs: number, rng: () => number): ScheduledFault[] {
  const order = faults.filter((f) => f !== 'schema');
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const slot = windowMs / Math.max(1, order.length);
  const failures = order.map((kind, i) => ({ kind, atMs: Math.round(slot * (i + 0.2 + rng() * 0.6)), pauseMs: Math.round(500 + rng() * 2_500) }));
  const deploys = faults.filter((f) => f === 'schema').map((kind, i, all) => ({ kind, atMs: Math.round(windowMs * ((1 + (i + rng()) / all.length) / 3)), pauseMs: 0 }));
  return [...failures, ...deploys].sort((a, b) => a.atMs - b.atMs);
}

/** Injects one fault and waits until the pipeline is whole again. */
export async function injectFault(pipeline: ChaosPipeline, f: ScheduledFault): Promise<string> {
  const [what, target] = f.kind.split(':') as [string, string | undefined];
  switch (what) {
    case 'kill':
      return pipeline.exclusive(target!, async () => {
        await pipeline.stop(target!, 'SIGKILL');
        await new Promise((r) => setTimeout(r, f.pauseMs));
        await pipeline.start(target!);
        return `kill -9 ${target}, down ${f.pauseMs} ms, restarted`;
      });
    case 'term':
      return pipeline.exclusive(target!, async () => {
        await pipeline.stop(target!, 'SIGTERM');
        await pipeline.start(target!);
        return `SIGTERM ${target} (drain, commit, exit), started again (a deploy)`;
      });
    case 'scale': {
      const extras = await pipeline.scaleOut(target as 'parse' | 'store');
      const hold = 4 * f.pauseMs;
      await new Promise((r) => setTimeout(r, hold));
      await pipeline.scaleIn(extras);
      return `${target} 1 -> ${extras.length + 1} instances for ${hold} ms -> 1 (rebalances)`;
    }
    case 'kafka':
      await restart('kafka', { signal: 'SIGTERM', downMs: f.pauseMs });
      return `Kafka broker stopped, down ${f.pauseMs} ms, started on the same data`;
    case 'cassandra':
      await restart('cassandra', { signal: 'SIGTERM', downMs: f.pauseMs });
      return `Cassandra stopped, down ${f.pauseMs} ms, started on the same data`;
    case 'schema': {
      const [from, to] = await pipeline.upgradeEnrichedSchema();
      return `enrich redeployed (SIGTERM, start) writing enriched schema v${to} instead of v${from}; store reads both`;
    }
    default:
      throw new Error(`unknown fault ${f.kind}`);
  }
}

/**
 * Runs the schedule from `t0`: failures one at a time (a late one starts as soon as the previous
 * one is over) and, beside them, the planned deploys (`schema`) at their own times — a deploy does
 * not wait for an outage to end. A fault that fails is recorded with its error; the run goes on.
 */
export async function runFaults(pipeline: ChaosPipeline, schedule: ScheduledFault[], t0: number, say: (msg: string) => void): Promise<FaultRecord[]> {
  const chains = await Promise.all([
    runChain(pipeline, schedule.filter((f) => f.kind !== 'schema'), t0, say),
    runChain(pipeline, schedule.filter((f) => f.kind === 'schema'), t0, say),
  ]);
  return chains.flat().sort((a, b) => a.at - b.at);
}

async function runChain(pipeline: ChaosPipeline, schedule: ScheduledFault[], t0: number, say: (msg: string) => void): Promise<FaultRecord[]> {
  const done: FaultRecord[] = [];
  for (const f of schedule) {
    const wait = t0 + f.atMs - Date.now();
    if (wait > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([new Promise((r) => (timer = setTimeout(r, wait))), pipeline.stopped]);
      clearTimeout(timer);
    }
    // An interrupted run injects nothing more: a server restarted after the devstack went down would be left running.
    if (pipeline.stopping) break;
    const started = Date.now();
    say(`fault ${f.kind}`);
    const rec: FaultRecord = { kind: f.kind, at: Math.round((started - t0) / 100) / 10, seconds: 0, detail: '' };
    try {
      rec.detail = await injectFault(pipeline, f);
    } catch (err) {
      rec.error = (err as Error).message;
      say(`fault ${f.kind} failed: ${rec.error}`);
    }
    rec.seconds = Math.round((Date.now() - started) / 100) / 10;
    say(`fault ${f.kind} over after ${rec.seconds} s`);
    done.push(rec);
  }
  return done;
}
