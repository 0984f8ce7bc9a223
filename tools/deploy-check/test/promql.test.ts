import { describe, expect, it } from '@jest/globals';
import { DeployCheckError } from '../src/errors.ts';
import { checkQuery, resolveMetric, type MetricsCatalog } from '../src/metrics-catalog.ts';
import { selectedMetrics, substituteGrafanaVariables } from '../src/promql.ts';

const catalog: MetricsCatalog = {
  fleetstream_records_in_total: {
    type: 'counter',
    labels: ['service', 'topic'],
    exportedBy: 'every service',
  },
  fleetstream_consumer_lag: {
    type: 'gauge',
    labels: ['service', 'topic', 'partition'],
    exportedBy: 'every service',
  },
  fleetstream_end_to_end_latency_seconds: {
    type: 'histogram',
    labels: ['service'],
    exportedBy: 'every service',
  },
};

describe('selectedMetrics', () => {
  it('returns each selected metric with the labels its matchers use', () => {
    // Act
    const result = selectedMetrics(
      'sum by (topic) (rate(fleetstream_records_in_total{service="parse", topic=~"t.*"}[5m])) / on() group_left up',
    );

    // Assess
    expect(result).toEqual([
      {
        name: 'fleetstream_records_in_total',
        matcherLabels: ['service', 'topic'],
        rangeFunction: 'rate',
      },
      { name: 'up', matcherLabels: [] },
    ]);
  });

  it('takes the metric name from a literal __name__ matcher', () => {
    expect(selectedMetrics('{__name__="fleetstream_consumer_lag", topic="a"}')).toEqual([
      { name: 'fleetstream_consumer_lag', matcherLabels: ['topic'] },
    ]);
  });

  it.each([
    ['a syntax error', 'sum(rate(fleetstream_records_in_total[5m])'],
    ['a regex metric name', '{__name__=~"fleetstream_.*"}'],
  ])('rejects %s with DEPLOY_CHECK_PROMQL_INVALID', (_case, expr) => {
    // Act
    let error: unknown;
    try {
      selectedMetrics(expr);
    } catch (err) {
      error = err;
    }

    // Assess
    expect(error).toBeInstanceOf(DeployCheckError);
    expect((error as DeployCheckError).code).toBe('DEPLOY_CHECK_PROMQL_INVALID');
  });
});

describe('substituteGrafanaVariables', () => {
  it.each([
    ['rate(x[$__rate_interval])', 'rate(x[5m])'],
    ['rate(x[${__interval}])', 'rate(x[5m])'],
    ['x{service="$service", topic="${topic}"}', 'x{service="placeholder", topic="placeholder"}'],
  ])('turns %s into %s', (input, expected) => {
    expect(substituteGrafanaVariables(input)).toBe(expected);
  });
});

describe('checkQuery', () => {
  it('finds nothing wrong in a query over known metrics and labels', () => {
    expect(
      checkQuery(
        catalog,
        'histogram_quantile(0.99, sum by (le) (rate(fleetstream_end_to_end_latency_seconds_bucket{service="store"}[$__rate_interval])))',
      ),
    ).toEqual([]);
  });

  it.each([
    [
      'a metric missing from the catalog',
      'rate(fleetstream_nope_total[5m])',
      'fleetstream_nope_total is not in deploy/metrics.json',
    ],
    [
      'a histogram without its series suffix',
      'fleetstream_end_to_end_latency_seconds',
      'fleetstream_end_to_end_latency_seconds is a histogram: select fleetstream_end_to_end_latency_seconds_bucket, _sum or _count',
    ],
    [
      'a label the metric lacks',
      'fleetstream_consumer_lag{reason="x"}',
      'fleetstream_consumer_lag has no label "reason" (labels: service, topic, partition, job, instance)',
    ],
    [
      'rate over a gauge',
      'rate(fleetstream_consumer_lag[5m])',
      'rate() needs a counter, but fleetstream_consumer_lag is a gauge (use deriv or delta)',
    ],
    [
      'le on a series that is not a bucket',
      'fleetstream_end_to_end_latency_seconds_count{le="1"}',
      'fleetstream_end_to_end_latency_seconds_count has no label "le" (labels: service, job, instance)',
    ],
  ])('reports %s', (_case, expr, problem) => {
    expect(checkQuery(catalog, expr)).toEqual([problem]);
  });

  it('resolves _bucket, _sum and _count of a histogram to its entry', () => {
    expect(
      ['_bucket', '_sum', '_count'].map(
        (s) => resolveMetric(catalog, `fleetstream_end_to_end_latency_seconds${s}`)?.base,
      ),
    ).toEqual([
      'fleetstream_end_to_end_latency_seconds',
      'fleetstream_end_to_end_latency_seconds',
      'fleetstream_end_to_end_latency_seconds',
    ]);
  });
});
