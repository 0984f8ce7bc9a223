import type { CollectedSpan } from './types.ts';

/** Bounds of a {@link TraceStore}. */
export interface TraceStoreOptions {
  /** Traces kept; the least recently updated one goes first. */
  maxTraces: number;
  /** Spans kept per trace; later ones are counted as dropped. */
  maxSpansPerTrace: number;
}

/** The spans of one trace, as received so far. */
export interface StoredTrace {
  traceId: string;
  spans: CollectedSpan[];
  /** When the collector received its first and latest span (ms). */
  firstReceived: number;
  lastReceived: number;
  /** True once the summary line of this trace was logged. */
  summarized: boolean;
}

/** One line per trace: what `GET /api/traces` lists and the collector logs. */
export interface TraceSummary {
  traceId: string;
  spans: number;
  /** Services in the order of their first span's start. */
  services: string[];
  /** The earliest span's name (the root's, when the root arrived). */
  rootName: string;
  start: string;
  durationMs: number;
  errors: number;
}

/** One span of a trace as a hop: where the time went (the demo prints these). */
export interface TraceHop {
  service: string;
  name: string;
  spanId: string;
  parentSpanId: string;
  /** Depth below the trace's root (0 for a root or a span whose parent is not here). */
  depth: number;
  /** From the trace's earliest start. */
  startOffsetMs: number;
  durationMs: number;
}

const ms = (ns: bigint) => Number(ns / 1000n) / 1000;

/**
 * Recent spans grouped by trace, in memory and bounded (traces and spans per trace). Map order is
 * the eviction order: an updated trace moves to the end.
 */
export class TraceStore {
  readonly #traces = new Map<string, StoredTrace>();
  readonly #o: TraceStoreOptions;
  /** Spans not kept because their trace was full. */
  droppedSpans = 0;
  /** Traces evicted to stay within maxTraces. */
  evictedTraces = 0;

  constructor(options: TraceStoreOptions) {
    this.#o = options;
  }

  get size(): number {
    return this.#traces.size;
  }

  /** Adds spans; returns how many were kept. */
  add(spans: CollectedSpan[], now = Date.now()): number {
    let kept = 0;
    for (const span of spans) {
      let t = this.#traces.get(span.traceId);
      if (t) this.#traces.delete(span.traceId);
      else t = { traceId: span.traceId, spans: [], firstReceived: now, lastReceived: now, summarized: false };
      this.#traces.set(span.traceId, t);
      t.lastReceived = now;
      if (t.spans.length >= this.#o.maxSpansPerTrace) {
        this.droppedSpans += 1;
        continue;
      }
      t.spans.push(span);
      t.summarized = false;
      kept += 1;
    }
    while (this.#traces.size > this.#o.maxTraces) {
      this.#traces.delete(this.#traces.keys().next().value!);
      this.evictedTraces += 1;
    }
    return kept;
  }

  get(traceId: string): StoredTrace | undefined {
    return this.#traces.get(traceId.toLowerCase());
  }

  /** Summaries, most recently updated first; `service` keeps traces with a span of that service. */
  list(options: { limit?: number; service?: string } = {}): TraceSummary[] {
    const out: TraceSummary[] = [];
    for (const t of [...this.#traces.values()].reverse()) {
      if (options.service !== undefined && !t.spans.some((s) => s.serviceName === options.service)) continue;
      out.push(summarize(t));
      if (out.length >= (options.limit ?? 20)) break;
    }
    return out;
  }

  /** Traces not summarized yet that received nothing for `idleMs`: marks them summarized and returns them. */
  takeIdle(idleMs: number, now = Date.now()): StoredTrace[] {
    const out: StoredTrace[] = [];
    for (const t of this.#traces.values()) {
      if (!t.summarized && now - t.lastReceived >= idleMs) {
        t.summarized = true;
        out.push(t);
      }
    }
    return out;
  }
}

/** A trace's spans by start time (then end time, so a parent that starts at the same instant comes first). */
export function byStart(spans: readonly CollectedSpan[]): CollectedSpan[] {
  return [...spans].sort((a, b) => (a.startTimeUnixNano === b.startTimeUnixNano ? (a.endTimeUnixNano > b.endTimeUnixNano ? -1 : 1) : a.startTimeUnixNano < b.startTimeUnixNano ? -1 : 1));
}

export function summarize(t: StoredTrace): TraceSummary {
  const spans = byStart(t.spans);
  const start = spans[0]?.startTimeUnixNano ?? 0n;
  const end = spans.reduce((m, s) => (s.endTimeUnixNano > m ? s.endTimeUnixNano : m), start);
  const root = spans.find((s) => s.parentSpanId === '') ?? spans[0];
  return {
    traceId: t.traceId,
    spans: spans.length,
    services: [...new Set(spans.map((s) => s.serviceName))],
    rootName: root?.name ?? '',
    start: new Date(Number(start / 1_000_000n)).toISOString(),
    durationMs: ms(end - start),
    errors: spans.filter((s) => s.status.code === 2).length,
  };
}

/** The spans of a trace as hops, by start time, with their depth under the root. */
export function traceHops(spans: readonly CollectedSpan[]): TraceHop[] {
  const sorted = byStart(spans);
  const start = sorted[0]?.startTimeUnixNano ?? 0n;
  const byId = new Map(sorted.map((s) => [s.spanId, s]));
  const depth = (s: CollectedSpan): number => {
    let d = 0;
    for (let p = byId.get(s.parentSpanId); p && d < 64; p = byId.get(p.parentSpanId)) d += 1;
    return d;
  };
  return sorted.map((s) => ({
    service: s.serviceName,
    name: s.name,
    spanId: s.spanId,
    parentSpanId: s.parentSpanId,
    depth: depth(s),
    startOffsetMs: ms(s.startTimeUnixNano - start),
    durationMs: ms(s.endTimeUnixNano - s.startTimeUnixNano),
  }));
}

/** A span as JSON (times as decimal strings, since they pass 2^53). */
export function spanJson(s: CollectedSpan): Record<string, unknown> {
  return {
    ...s,
    startTimeUnixNano: s.startTimeUnixNano.toString(),
    endTimeUnixNano: s.endTimeUnixNano.toString(),
    events: s.events.map((e) => ({ ...e, timeUnixNano: e.timeUnixNano.toString() })),
  };
}
