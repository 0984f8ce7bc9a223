import { summarize, traceHops, type TraceHop, type TraceStore } from '@fleetstream/trace-collector';
import { formatTable } from '../format-table.ts';

/** The stages a packet passes, in order: a sample trace is one that reached all of them. */
export const TRACED_STAGES = ['gateway', 'parse', 'enrich', 'store'] as const;

/** One trace of the run shown at the end of the demo. */
export interface SampleTrace {
  traceId: string;
  durationMs: number;
  hops: TraceHop[];
}

/**
 * The most recently completed trace that reached every stage (gateway to store), as hops; else the
 * trace that reached the most stages; undefined when no span arrived at all.
 */
export function sampleTrace(store: TraceStore): SampleTrace | undefined {
  const traces = store.list({ limit: 200 });
  const reached = (services: string[]) => TRACED_STAGES.filter((s) => services.includes(s)).length;
  const best = traces.reduce<(typeof traces)[number] | undefined>((b, t) => (b === undefined || reached(t.services) > reached(b.services) ? t : b), undefined);
  if (!best) return undefined;
  const held = store.get(best.traceId)!;
  return { traceId: best.traceId, durationMs: summarize(held).durationMs, hops: traceHops(held.spans) };
}

const ms = (v: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(1));

/** The sample trace as text: one line per span, indented by depth, with its start offset and duration. */
export function renderTrace(t: SampleTrace): string {
  const rows = t.hops.map((h) => [h.service, `${'  '.repeat(h.depth)}${h.name}`, `+${ms(h.startOffsetMs)}`, ms(h.durationMs)]);
  return `sample trace ${t.traceId} (${ms(t.durationMs)} ms from the gateway's first span to the last span's end):\n${formatTable(['SERVICE', 'SPAN', 'START MS', 'DURATION MS'], rows)}`;
}
