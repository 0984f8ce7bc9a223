import { describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import { createSimulatorMetrics } from '@fleetstream/simulator';
import { loadMetricsCatalog } from '../src/metrics-catalog.ts';
import { scrapeProblems } from '../src/scrape-check.ts';

const catalog = loadMetricsCatalog();

describe('deploy/metrics.json', () => {
  it('lists the metrics every service exports by the contract, with their types', () => {
    const everyService = Object.entries(catalog)
      .filter(([, e]) => e.exportedBy === 'every service')
      .map(([name, e]) => `${name} ${e.type}`);
    expect(everyService).toEqual([
      'fleetstream_records_in_total counter',
      'fleetstream_records_out_total counter',
      'fleetstream_dlq_total counter',
      'fleetstream_consumer_lag gauge',
      'fleetstream_inflight gauge',
      'fleetstream_stage_duration_seconds histogram',
      'fleetstream_record_wait_seconds histogram',
      'fleetstream_async_timeouts_total counter',
      'fleetstream_async_retries_total counter',
      'fleetstream_throttle_wait_seconds_total counter',
      'fleetstream_sink_concurrency gauge',
      'fleetstream_end_to_end_latency_seconds histogram',
      'fleetstream_committed_offset gauge',
    ]);
  });

  it('names counters *_total and nothing else, and gives every fleetstream metric a service label', () => {
    const entries = Object.entries(catalog);
    expect(
      entries.filter(([n, e]) => (e.type === 'counter') !== n.endsWith('_total')).map(([n]) => n),
    ).toEqual([]);
    expect(
      entries
        .filter(([n, e]) => n.startsWith('fleetstream_') && !e.labels.includes('service'))
        .map(([n]) => n),
    ).toEqual([]);
  });
});

describe('deploy/metrics.json and the simulator', () => {
  it('lists exactly the metrics the simulator registers, with their types and labels', async () => {
    // Prepare
    const registry = new Registry();
    createSimulatorMetrics(registry, { processMetrics: false });

    // Act
    const types = new Map((await registry.getMetricsAsJSON()).map((m) => [m.name, String(m.type)]));
    const registered = registry.getMetricsAsArray().map((m) => ({
      name: m.name,
      type: types.get(m.name),
      labels: [...(m as unknown as { labelNames: string[] }).labelNames],
    }));
    const listed = Object.entries(catalog)
      .filter(([, e]) => e.exportedBy === 'simulator')
      .map(([name, e]) => ({ name, type: e.type, labels: e.labels }));

    // Assess
    expect(listed.length).toBeGreaterThan(0);
    expect(registered.sort((a, b) => a.name.localeCompare(b.name))).toEqual(
      listed.sort((a, b) => a.name.localeCompare(b.name)),
    );
  });
});

describe('scrapeProblems', () => {
  const exposition = (types: Record<string, string>) =>
    Object.entries(types)
      .map(
        ([n, t]) =>
          `# HELP ${n} x\n# TYPE ${n} ${t}\n${n}${t === 'histogram' ? '_count' : ''}{service="store"} 1\n`,
      )
      .join('');
  const expectedOfStore = Object.entries(catalog).filter(([, e]) =>
    ['every service', 'prom-client default metrics', 'store'].includes(e.exportedBy),
  );

  it('finds nothing missing when the scrape has every metric the service should export', () => {
    expect(
      scrapeProblems(
        catalog,
        exposition(Object.fromEntries(expectedOfStore.map(([n, e]) => [n, e.type]))),
        'store',
      ),
    ).toEqual([]);
  });

  it('reports a missing metric and one exported with another type', () => {
    // Prepare
    const types = Object.fromEntries(expectedOfStore.map(([n, e]) => [n, e.type]));
    delete types.fleetstream_store_rows_written_total;
    types.fleetstream_sink_concurrency = 'counter';

    // Act + Assess
    expect(scrapeProblems(catalog, exposition(types), 'store')).toEqual([
      'store exports fleetstream_sink_concurrency as a counter, deploy/metrics.json says gauge',
      'store does not export fleetstream_store_rows_written_total',
    ]);
  });
});
