import { Counter, Gauge, type Registry } from 'prom-client';

/** The SQL source's own metrics (README, "Metrics"), on the service's registry. */
export interface SqlSourceMetrics {
  rows: Counter<'service' | 'kind'>;
  lag: Gauge<'service'>;
  polls: Counter<'service'>;
  errors: Counter<'service' | 'class'>;
}

export function createSqlSourceMetrics(registry: Registry): SqlSourceMetrics {
  const registers = [registry];
  return {
    rows: new Counter({ name: 'fleetstream_sql_source_rows_total', help: 'Rows emitted (kind: row or tombstone).', labelNames: ['service', 'kind'], registers }),
    lag: new Gauge({ name: 'fleetstream_sql_source_lag_seconds', help: 'Now minus the timestamp of the newest emitted row.', labelNames: ['service'], registers }),
    polls: new Counter({ name: 'fleetstream_sql_source_polls_total', help: 'Poll queries run.', labelNames: ['service'], registers }),
    errors: new Counter({ name: 'fleetstream_sql_source_errors_total', help: 'Failed polls or emits (retried), by error class.', labelNames: ['service', 'class'], registers }),
  };
}
