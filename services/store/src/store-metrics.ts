import { Counter, Histogram, type Registry } from 'prom-client';

/** The store's own metrics, beside libs/stream's fleetstream_* core set. */
export interface StoreMetrics {
  rowsWritten: Counter<'service'>;
  writeLatency: Histogram<'service'>;
  overloadErrors: Counter<'service'>;
}

const cache = new WeakMap<Registry, StoreMetrics>();

/** Registers (once per registry) fleetstream_store_rows_written_total, _write_latency_seconds, _overload_errors_total. */
export function createStoreMetrics(registry: Registry): StoreMetrics {
  const existing = cache.get(registry);
  if (existing) return existing;
  const registers = [registry];
  const m: StoreMetrics = {
    rowsWritten: new Counter({ name: 'fleetstream_store_rows_written_total', help: 'Position rows written to Cassandra.', labelNames: ['service'], registers }),
    writeLatency: new Histogram({
      name: 'fleetstream_store_write_latency_seconds',
      help: 'Duration of one Cassandra write (statement or single-partition batch), retries excluded.',
      labelNames: ['service'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    overloadErrors: new Counter({ name: 'fleetstream_store_overload_errors_total', help: 'Cassandra writes that failed as overloaded / timed out / unavailable (and were retried).', labelNames: ['service'], registers }),
  };
  cache.set(registry, m);
  return m;
}
