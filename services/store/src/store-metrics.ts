import { Counter, Histogram, type Registry } from 'prom-client';
import { isOverload, type CassandraSinkOptions, type ServiceDeps } from '@fleetstream/stream';
import type { StoredEvent } from './event.ts';

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

/**
 * The store's hooks on its Cassandra sink: rows written and write latency per call, overloads
 * counted (and logged at most every 5 s), end-to-end latency (receivedAt -> stored) per event.
 */
export function storeSinkHooks(deps: Pick<ServiceDeps, 'registry' | 'metrics' | 'logger'>): Pick<CassandraSinkOptions<StoredEvent>, 'onWrite' | 'onRetry' | 'onWritten'> {
  const store = createStoreMetrics(deps.registry);
  const svc = deps.metrics.service;
  const log = deps.logger.child({ component: 'store' });
  let lastRetryLog = 0;
  return {
    onWrite: (seconds, rows) => {
      store.writeLatency.observe({ service: svc }, seconds);
      if (rows > 0) store.rowsWritten.inc({ service: svc }, rows);
    },
    onRetry: (err) => {
      if (isOverload(err)) store.overloadErrors.inc({ service: svc });
      const now = Date.now();
      if (now - lastRetryLog > 5_000) {
        lastRetryLog = now;
        log.warn({ err }, 'Cassandra overloaded or unreachable: lowering concurrency and retrying');
      }
    },
    onWritten: (events) => {
      const now = Date.now();
      for (const e of events) deps.metrics.endToEndLatency.observe({ service: svc }, Math.max(0, now - e.receivedAt) / 1000);
    },
  };
}
