import { readFileSync } from 'node:fs';
import { paths } from './paths.ts';
import { selectedMetrics, substituteGrafanaVariables } from './promql.ts';

/** One entry of deploy/metrics.json. */
export interface MetricEntry {
  type: 'counter' | 'gauge' | 'histogram' | 'summary';
  labels: string[];
  exportedBy: string;
}

export type MetricsCatalog = Record<string, MetricEntry>;

/**
 * Labels every scraped series carries besides its own: job and instance from Prometheus, and
 * service, which the compose scrape config and the ServiceMonitor set on every target.
 */
const TARGET_LABELS = ['job', 'instance', 'service'];
const HISTOGRAM_SERIES = ['_bucket', '_sum', '_count'] as const;
/** Functions that assume a counter: on a gauge they turn every decrease into a reset. */
const COUNTER_FUNCTIONS = new Set(['rate', 'irate', 'increase', 'resets']);

/** Reads deploy/metrics.json. */
export function loadMetricsCatalog(file: string = paths.metrics): MetricsCatalog {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { metrics: MetricsCatalog };
  return parsed.metrics;
}

/**
 * Maps a series name as written in a query to its catalog entry: the name itself, or for a
 * histogram its `_bucket` / `_sum` / `_count` series. Undefined when the catalog lacks it.
 */
export function resolveMetric(
  catalog: MetricsCatalog,
  series: string,
): { base: string; entry: MetricEntry; suffix: string } | undefined {
  const direct = catalog[series];
  if (direct && direct.type !== 'histogram') return { base: series, entry: direct, suffix: '' };
  for (const suffix of HISTOGRAM_SERIES) {
    if (!series.endsWith(suffix)) continue;
    const base = series.slice(0, -suffix.length);
    const entry = catalog[base];
    if (entry && (entry.type === 'histogram' || entry.type === 'summary'))
      return { base, entry, suffix };
  }
  return undefined;
}

/**
 * Checks one query (PromQL, Grafana variables allowed) against the catalog and returns the
 * problems as sentences: a syntax error, a metric not in the catalog, a histogram used without
 * its series suffix, a label matcher the metric does not have, rate() and kin over a gauge. Empty when the query is fine.
 */
export function checkQuery(catalog: MetricsCatalog, expr: string): string[] {
  let selectors;
  try {
    selectors = selectedMetrics(substituteGrafanaVariables(expr));
  } catch (err) {
    return [(err as Error).message];
  }
  const problems: string[] = [];
  for (const { name, matcherLabels, rangeFunction } of selectors) {
    const resolved = resolveMetric(catalog, name);
    if (!resolved) {
      problems.push(
        catalog[name]?.type === 'histogram'
          ? `${name} is a histogram: select ${name}_bucket, _sum or _count`
          : `${name} is not in deploy/metrics.json`,
      );
      continue;
    }
    if (rangeFunction && COUNTER_FUNCTIONS.has(rangeFunction) && resolved.entry.type === 'gauge') {
      problems.push(
        `${rangeFunction}() needs a counter, but ${name} is a gauge (use deriv or delta)`,
      );
    }
    const allowed = new Set([
      ...resolved.entry.labels,
      ...TARGET_LABELS,
      ...(resolved.suffix === '_bucket' ? ['le'] : []),
    ]);
    for (const label of matcherLabels) {
      if (!allowed.has(label))
        problems.push(`${name} has no label "${label}" (labels: ${[...allowed].join(', ')})`);
    }
  }
  return problems;
}
