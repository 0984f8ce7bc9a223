import { describe, expect, it } from '@jest/globals';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildDashboards,
  DASHBOARD_SERVICES,
  DATASOURCE,
  dashboardQueries,
  dashboardText,
  type Dashboard,
} from '../src/dashboards.ts';
import { checkQuery, loadMetricsCatalog } from '../src/metrics-catalog.ts';
import { paths } from '../src/paths.ts';
import { isRecord, readYaml } from '../src/yaml-files.ts';

const committed = Object.fromEntries(
  readdirSync(paths.dashboards)
    .filter((f) => f.endsWith('.json'))
    .map((f) => [f, readFileSync(join(paths.dashboards, f), 'utf8')]),
);
const parsed = Object.entries(committed).map(
  ([file, text]) => [file, JSON.parse(text) as Dashboard] as const,
);
const catalog = loadMetricsCatalog();

describe('Grafana dashboards', () => {
  it('are exactly what src/dashboards.ts generates (run `npm run generate` after editing it)', () => {
    // Prepare
    const expected = Object.fromEntries(
      Object.entries(buildDashboards()).map(([f, d]) => [f, dashboardText(d)]),
    );

    // Assess
    expect(committed).toEqual(expected);
  });

  it('include the pipeline overview and one dashboard per service, with unique uids', () => {
    expect(Object.keys(committed).sort()).toEqual(
      ['pipeline-overview.json', ...DASHBOARD_SERVICES.map((s) => `${s.name}.json`)].sort(),
    );
    const uids = parsed.map(([, d]) => d.uid);
    expect(new Set(uids).size).toBe(uids.length);
  });

  it.each(parsed)(
    '%s uses only metrics and labels of deploy/metrics.json, in valid PromQL',
    (_file, dashboard) => {
      // Act
      const problems = dashboardQueries(dashboard).flatMap(({ panel, expr }) =>
        checkQuery(catalog, expr).map((p) => `${panel}: ${p}`),
      );

      // Assess
      expect(dashboardQueries(dashboard).length).toBeGreaterThan(5);
      expect(problems).toEqual([]);
    },
  );

  it.each(parsed)(
    '%s queries the provisioned Prometheus datasource in every panel',
    (_file, dashboard) => {
      // Prepare
      const provisioning = readYaml(
        join(paths.grafanaProvisioning, 'datasources/prometheus.yml'),
      ) as { datasources: Array<{ uid: string; type: string }> };
      const panels = dashboard.panels.filter((p) => p.type !== 'row');

      // Assess
      expect(provisioning.datasources).toEqual([expect.objectContaining(DATASOURCE)]);
      expect(
        panels
          .filter(
            (p) =>
              p.datasource?.uid !== DATASOURCE.uid ||
              p.targets?.some((t) => t.datasource.uid !== DATASOURCE.uid),
          )
          .map((p) => p.title),
      ).toEqual([]);
    },
  );

  it('give the overview rates, lag, DLQ, latency percentiles, Cassandra and back-pressure panels', () => {
    // Prepare
    const overview = parsed.find(([f]) => f === 'pipeline-overview.json')![1];
    const exprs = dashboardQueries(overview)
      .map((q) => q.expr)
      .join('\n');

    // Assess
    for (const needle of [
      'rate(fleetstream_records_in_total',
      'rate(fleetstream_records_out_total',
      'fleetstream_consumer_lag',
      'sum by (service, reason) (rate(fleetstream_dlq_total',
      'histogram_quantile(0.99, sum by (le) (rate(fleetstream_end_to_end_latency_seconds_bucket',
      'histogram_quantile(0.5, sum by (le) (rate(fleetstream_end_to_end_latency_seconds_bucket',
      'fleetstream_store_write_latency_seconds_bucket',
      'fleetstream_sink_concurrency',
      'fleetstream_throttle_wait_seconds_total',
      'fleetstream_async_timeouts_total',
      'fleetstream_async_retries_total',
    ]) {
      expect(exprs).toContain(needle);
    }
  });

  it('are mounted where the Grafana provider reads them, with the overview as home dashboard', () => {
    // Prepare
    const provider = readYaml(join(paths.grafanaProvisioning, 'dashboards/fleetstream.yml')) as {
      providers: Array<{ options: { path: string } }>;
    };
    const compose = readYaml(paths.compose) as {
      services: Record<string, { volumes: string[]; environment: Record<string, string> }>;
    };
    const grafana = compose.services.grafana!;
    const mount = grafana.volumes.find((v) => v.startsWith('./deploy/grafana/dashboards:'));
    const home = grafana.environment.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH!;

    // Assess
    expect(mount).toBe(`./deploy/grafana/dashboards:${provider.providers[0]!.options.path}:ro`);
    expect(home.startsWith(`${provider.providers[0]!.options.path}/`)).toBe(true);
    expect(Object.keys(committed)).toContain(
      home.slice(provider.providers[0]!.options.path.length + 1),
    );
    expect(isRecord(grafana.environment) && grafana.environment.GF_AUTH_ANONYMOUS_ENABLED).toBe(
      'true',
    );
  });
});
