import { parser } from '@prometheus-io/lezer-promql';
import { DeployCheckError } from './errors.ts';

/** A metric a query selects, with the label names its matchers use. */
export interface MetricSelector {
  name: string;
  matcherLabels: string[];
  /** The function a range selector of this metric is passed to (`rate` for rate(x[5m])). */
  rangeFunction?: string;
}

/**
 * Grafana's built-in interval variables become a fixed duration and any other `$var` / `${var}`
 * a placeholder value, so that a dashboard query parses as plain PromQL.
 */
export function substituteGrafanaVariables(expr: string): string {
  return expr
    .replace(/\$\{?__(?:rate_interval|interval|range)(?::[a-z]+)?\}?/g, '5m')
    .replace(/\$\{[A-Za-z_][A-Za-z0-9_]*(?::[a-z]+)?\}|\$[A-Za-z_][A-Za-z0-9_]*/g, 'placeholder');
}

/**
 * Parses a PromQL expression with Prometheus' own grammar (@prometheus-io/lezer-promql) and
 * returns the metrics it selects. Throws DEPLOY_CHECK_PROMQL_INVALID on a syntax error or on a selector
 * whose metric name is not a literal (then it cannot be checked against the metric list).
 *
 * @example selectedMetrics('sum by (topic) (rate(fleetstream_records_in_total{service="parse"}[5m]))')
 *   // [{ name: 'fleetstream_records_in_total', matcherLabels: ['service'] }]
 */
export function selectedMetrics(expr: string): MetricSelector[] {
  const tree = parser.parse(expr);
  const selectors: MetricSelector[] = [];
  let syntaxError: number | undefined;
  tree.iterate({
    enter(node) {
      if (node.type.isError && syntaxError === undefined) syntaxError = node.from;
      if (node.name !== 'VectorSelector') return;
      let name: string | undefined;
      const labels: string[] = [];
      const selector = node.node;
      const identifier = selector.getChild('Identifier');
      if (identifier) name = expr.slice(identifier.from, identifier.to);
      const matchers = selector.getChild('LabelMatchers');
      if (matchers) {
        for (let m = matchers.firstChild; m; m = m.nextSibling) {
          if (!m.name.endsWith('LabelMatcher')) continue;
          const labelNode = m.getChild('LabelName');
          const label = labelNode ? expr.slice(labelNode.from, labelNode.to) : undefined;
          if (label === undefined) continue;
          if (label === '__name__') {
            const text = expr.slice(m.from, m.to);
            const literal = /^__name__\s*=\s*"([^"]+)"$/.exec(text);
            if (!literal)
              throw new DeployCheckError(
                'DEPLOY_CHECK_PROMQL_INVALID',
                `metric name must be a literal, got ${text} in: ${expr}`,
                { expr },
              );
            name = literal[1];
          } else {
            labels.push(label);
          }
        }
      }
      if (name === undefined)
        throw new DeployCheckError(
          'DEPLOY_CHECK_PROMQL_INVALID',
          `selector without a metric name in: ${expr}`,
          { expr },
        );
      const found: MetricSelector = { name, matcherLabels: labels };
      const call =
        selector.parent?.name === 'MatrixSelector' ? selector.parent.parent?.parent : undefined;
      const fn = call?.name === 'FunctionCall' ? call.getChild('FunctionIdentifier') : null;
      if (fn) found.rangeFunction = expr.slice(fn.from, fn.to);
      selectors.push(found);
      return false;
    },
  });
  if (syntaxError !== undefined) {
    throw new DeployCheckError(
      'DEPLOY_CHECK_PROMQL_INVALID',
      `PromQL syntax error at ${syntaxError}: ${expr}`,
      { expr, at: syntaxError },
    );
  }
  return selectors;
}
