import { Counter, Gauge, type Registry } from 'prom-client';

/** enrich's own metrics (label `service`), beside the core fleetstream_* ones. */
export interface EnrichMetrics {
  tableHits: Counter<'service'>;
  tableMisses: Counter<'service'>;
  remoteCalls: Counter<'service'>;
  /** Seconds spent in asset API calls, summed: its rate is the mean number of calls in flight. */
  remoteCallSeconds: Counter<'service'>;
  coalesced: Counter<'service'>;
  cacheHits: Counter<'service'>;
  tableSize: Gauge<'service'>;
  /** Remote calls ÷ events since start. */
  remoteCallRatio: Gauge<'service'>;
  /** Counts events and updates the ratio. */
  countEvents(n: number): void;
  countRemoteCall(): void;
  /** A call ended (answered, failed or aborted) after `ms`. */
  countRemoteCallEnd(ms: number): void;
  readonly totals: { events: number; remoteCalls: number; remoteCallMs: number };
}

/** Registers enrich's metrics in the caller's registry. */
export function createEnrichMetrics(registry: Registry, service: string): EnrichMetrics {
  const registers = [registry];
  const labelNames = ['service'] as const;
  const counter = (name: string, help: string) => new Counter({ name, help, labelNames, registers });
  const totals = { events: 0, remoteCalls: 0, remoteCallMs: 0 };
  // Counted per remote call into `totals` and copied into the counters when they are read (a scrape):
  // prom-client hashes the label values on every inc, even through a bound child, twice per call.
  const fromTotals = (name: string, help: string, value: () => number) =>
    new Counter({
      name,
      help,
      labelNames,
      registers,
      collect() {
        this.reset();
        this.inc({ service }, value());
      },
    });
  const remoteCalls = fromTotals('fleetstream_enrich_remote_calls_total', 'Calls made to the asset API.', () => totals.remoteCalls);
  const remoteCallSeconds = fromTotals(
    'fleetstream_enrich_remote_call_seconds_total',
    "Time spent in asset API calls, summed over calls: its rate is the mean number of calls in flight (Little's law), to compare with the async capacity.",
    () => totals.remoteCallMs / 1000,
  );
  const m = {
    tableHits: counter('fleetstream_enrich_table_hits_total', 'Events enriched from the local reference table.'),
    tableMisses: counter('fleetstream_enrich_table_misses_total', 'Events whose device the reference table lacks.'),
    remoteCalls,
    remoteCallSeconds,
    coalesced: counter('fleetstream_enrich_coalesced_total', 'Lookups that shared another lookup of the same device instead of calling.'),
    cacheHits: counter('fleetstream_enrich_cache_hits_total', 'Table misses answered by the TTL cache (negative entries included).'),
    tableSize: new Gauge({ name: 'fleetstream_enrich_table_size', help: 'Devices in the local reference table.', labelNames, registers }),
    remoteCallRatio: new Gauge({ name: 'fleetstream_enrich_remote_call_ratio', help: 'Asset API calls per event since start.', labelNames, registers }),
    totals,
    countEvents(n: number) {
      totals.events += n;
      m.remoteCallRatio.set({ service }, totals.events === 0 ? 0 : totals.remoteCalls / totals.events);
    },
    countRemoteCall() {
      totals.remoteCalls++;
    },
    countRemoteCallEnd(ms: number) {
      totals.remoteCallMs += ms;
    },
  };
  return m;
}
