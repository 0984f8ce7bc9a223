import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkQuery, loadMetricsCatalog } from '../src/metrics-catalog.ts';
import { paths } from '../src/paths.ts';
import { readYaml, parseYamlDocuments } from '../src/yaml-files.ts';

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const alerts = readYaml(paths.alerts) as { groups: Array<{ name: string; rules: Rule[] }> };
const rules = alerts.groups.flatMap((g) => g.rules);
const catalog = loadMetricsCatalog();

describe('Prometheus alert rules', () => {
  it('cover lag growing for 10 minutes, dead letters, a service down and the end-to-end p99 objective', () => {
    expect(rules.map((r) => [r.alert, r.for])).toEqual([
      ['FleetstreamConsumerLagGrowing', '10m'],
      ['FleetstreamDeadLetters', '1m'],
      ['FleetstreamServiceDown', '2m'],
      ['FleetstreamEndToEndLatencyHigh', '10m'],
    ]);
    expect(rules.find((r) => r.alert === 'FleetstreamEndToEndLatencyHigh')!.expr).toMatch(
      /histogram_quantile\(0\.99,[\s\S]*fleetstream_end_to_end_latency_seconds_bucket[\s\S]*\) > 5$/,
    );
    expect(rules.find((r) => r.alert === 'FleetstreamDeadLetters')!.expr).toMatch(
      /rate\(fleetstream_dlq_total\[5m\]\)\) > 0$/,
    );
  });

  it.each(rules.map((r) => [r.alert, r] as const))(
    '%s is valid PromQL over metrics of deploy/metrics.json',
    (_name, rule) => {
      expect(checkQuery(catalog, rule.expr)).toEqual([]);
    },
  );

  it.each(rules.map((r) => [r.alert, r] as const))(
    '%s has a severity and a summary',
    (_name, rule) => {
      expect(['warning', 'critical']).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary).toEqual(expect.any(String));
    },
  );

  it('are the same groups in the PrometheusRule of the Kubernetes base', () => {
    // Prepare
    const [rule] = parseYamlDocuments(
      readFileSync(join(paths.k8s, 'base/prometheus-rule.yaml'), 'utf8'),
      'prometheus-rule.yaml',
    ) as Array<{ spec: { groups: unknown } }>;

    // Assess
    expect(rule!.spec.groups).toEqual(alerts.groups);
  });

  it('are loaded by the compose Prometheus from its mounted config folder', () => {
    // Prepare
    const prometheus = readYaml(paths.prometheus) as { rule_files: string[] };
    const compose = readYaml(paths.compose) as {
      services: { prometheus: { volumes: string[]; command: string[] } };
    };

    // Assess
    expect(compose.services.prometheus.volumes).toContain('./deploy/prometheus:/etc/prometheus:ro');
    expect(compose.services.prometheus.command).toContain(
      '--config.file=/etc/prometheus/prometheus.yml',
    );
    expect(prometheus.rule_files).toEqual(['/etc/prometheus/alerts.yml']);
  });
});
