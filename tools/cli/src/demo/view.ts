import { buckets, histogramQuantile, parsePromText, sum, type Sample } from './prom-text.ts';

/** One scrape of every service. */
export interface Snapshot {
  at: number;
  byService: Map<string, Sample[]>;
}

export async function scrape(ports: Record<string, number>): Promise<Snapshot> {
  const byService = new Map<string, Sample[]>(Object.keys(ports).map((name) => [name, []]));
  await Promise.all(
    Object.entries(ports).map(async ([name, port]) => {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(2000) });
        byService.set(name, parsePromText(await res.text()));
      } catch {
        byService.set(name, []);
      }
    }),
  );
  return { at: Date.now(), byService };
}

export interface ServiceRow {
  service: string;
  /** Records consumed per second; for the gateway, what devices sent it (see `inUnit`). */
  inPerSec: number;
  /** What `inPerSec` counts: records read from Kafka, or (gateway) packets and HTTP requests received. */
  inUnit: 'records' | 'packets';
  outPerSec: number;
  lag: number;
  dlq: number;
}

export interface PipelineView {
  rows: ServiceRow[];
  rowsInCassandra: number;
  e2eP50Ms: number | undefined;
  e2eP99Ms: number | undefined;
}

/** Rates between two snapshots; latency quantiles over the same window. */
export function pipelineView(prev: Snapshot, cur: Snapshot): PipelineView {
  const dt = Math.max(0.001, (cur.at - prev.at) / 1000);
  const rows: ServiceRow[] = [];
  for (const [service, samples] of cur.byService) {
    const before = prev.byService.get(service) ?? [];
    const rate = (name: string) => Math.max(0, (sum(samples, name) - sum(before, name)) / dt);
    // The gateway consumes nothing: what it takes in is devices' TCP packets (whatever became of
    // them: acked, rejected, DLQ) and HTTP ingest requests (any status).
    const gateway = samples.some((x) => x.name === 'fleetstream_gateway_packets_total' || x.name === 'fleetstream_gateway_http_requests_total');
    rows.push({
      service,
      inPerSec: gateway ? rate('fleetstream_gateway_packets_total') + rate('fleetstream_gateway_http_requests_total') : rate('fleetstream_records_in_total'),
      inUnit: gateway ? 'packets' : 'records',
      outPerSec: rate('fleetstream_records_out_total'),
      lag: sum(samples, 'fleetstream_consumer_lag'),
      dlq: sum(samples, 'fleetstream_dlq_total'),
    });
  }
  const store = cur.byService.get('store') ?? [];
  const storeBefore = prev.byService.get('store') ?? [];
  const now = buckets(store, 'fleetstream_end_to_end_latency_seconds');
  const then = buckets(storeBefore, 'fleetstream_end_to_end_latency_seconds');
  const window = new Map([...now].map(([le, c]) => [le, c - (then.get(le) ?? 0)]));
  const q = (p: number) => {
    const v = histogramQuantile(p, window) ?? histogramQuantile(p, now);
    return v === undefined ? undefined : v * 1000;
  };
  return { rows, rowsInCassandra: sum(store, 'fleetstream_store_rows_written_total'), e2eP50Ms: q(0.5), e2eP99Ms: q(0.99) };
}

const n = (v: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(1));

/** The live terminal view as text. */
export function renderView(view: PipelineView, extra: string): string {
  const lines = [
    'fleetstream demo — Ctrl-C stops',
    '',
    'service      in/s              out/s     lag       dlq',
    ...view.rows.map((r) => `${r.service.padEnd(12)} ${n(r.inPerSec).padStart(8)} ${r.inUnit.padEnd(8)} ${n(r.outPerSec).padStart(8)}  ${String(r.lag).padStart(8)}  ${String(r.dlq).padStart(8)}`),
    '',
    'in/s: records read from Kafka (gateway: TCP packets and HTTP requests received); out/s: records produced or rows written; lag: records not yet processed',
    `rows written to Cassandra: ${view.rowsInCassandra}`,
    `end-to-end latency (receivedAt -> stored): p50 ${view.e2eP50Ms === undefined ? '–' : `${view.e2eP50Ms.toFixed(0)} ms`}, p99 ${view.e2eP99Ms === undefined ? '–' : `${view.e2eP99Ms.toFixed(0)} ms`}`,
    extra,
  ];
  return lines.join('\n');
}
