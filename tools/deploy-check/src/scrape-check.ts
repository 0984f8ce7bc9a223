import type { MetricsCatalog } from './metrics-catalog.ts';

/** Metric families (name -> type) in a Prometheus text exposition, from its `# TYPE` lines. */
export function exposedFamilies(exposition: string): Map<string, string> {
  const families = new Map<string, string>();
  for (const line of exposition.split('\n')) {
    const m = /^# TYPE (\S+) (\S+)/.exec(line);
    if (m) families.set(m[1]!, m[2]!);
  }
  return families;
}

/** Exporters that are not built on libs/stream's service host, so "every service" is not theirs. */
const NOT_ON_THE_SERVICE_HOST: ReadonlySet<string> = new Set(['simulator']);

/**
 * Compares a real /metrics scrape of `service` with deploy/metrics.json: the catalog entries that
 * this service should export (exportedBy "every service", "prom-client default metrics" or the
 * service's name) but does not, or exports with another type. Empty when they agree.
 *
 * @example problems = scrapeProblems(catalog, await (await fetch('http://127.0.0.1:9464/metrics')).text(), 'parse')
 */
export function scrapeProblems(
  catalog: MetricsCatalog,
  exposition: string,
  service: string,
): string[] {
  const families = exposedFamilies(exposition);
  const problems: string[] = [];
  for (const [name, entry] of Object.entries(catalog)) {
    const expected =
      (entry.exportedBy === 'every service' && !NOT_ON_THE_SERVICE_HOST.has(service)) ||
      entry.exportedBy === 'prom-client default metrics' ||
      entry.exportedBy === service;
    if (!expected) continue;
    // prom-client 15 declares counters by their full name (with _total), as the catalog does.
    const type =
      families.get(name) ??
      (name.endsWith('_total') ? families.get(name.slice(0, -'_total'.length)) : undefined);
    if (type === undefined) problems.push(`${service} does not export ${name}`);
    else if (type !== entry.type)
      problems.push(
        `${service} exports ${name} as a ${type}, deploy/metrics.json says ${entry.type}`,
      );
  }
  return problems;
}
