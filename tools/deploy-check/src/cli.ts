#!/usr/bin/env node
/**
 * deploy-check <verb>
 *   generate            writes deploy/grafana/dashboards/*.json from src/dashboards.ts
 *   render <overlay>    prints k8s/overlays/<overlay> as `kubectl kustomize` renders it
 *   scrape <service>=<url> ...
 *                       fetches each service's /metrics and lists the deploy/metrics.json entries
 *                       it should export but does not (e.g. parse=http://127.0.0.1:9464/metrics)
 * Exit codes: 0 ok, 1 a failed run or a mismatch, 2 bad input.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { buildDashboards, dashboardText } from './dashboards.ts';
import { kubectlKustomize } from './kubectl.ts';
import { loadMetricsCatalog } from './metrics-catalog.ts';
import { paths } from './paths.ts';
import { scrapeProblems } from './scrape-check.ts';

async function scrape(targets: string[]): Promise<number> {
  const catalog = loadMetricsCatalog();
  let problems = 0;
  for (const target of targets) {
    const at = target.indexOf('=');
    const service = target.slice(0, at);
    const res = await fetch(target.slice(at + 1), { signal: AbortSignal.timeout(5000) });
    const found = scrapeProblems(catalog, await res.text(), service);
    for (const p of found) process.stdout.write(`${p}\n`);
    if (found.length === 0)
      process.stdout.write(`${service}: exports every metric deploy/metrics.json expects of it\n`);
    problems += found.length;
  }
  return problems === 0 ? 0 : 1;
}

async function main(argv: string[]): Promise<number> {
  const [verb, arg] = argv;
  if (
    verb === 'scrape' &&
    argv.length > 1 &&
    argv.slice(1).every((t) => /^[a-z-]+=https?:\/\//.test(t))
  )
    return scrape(argv.slice(1));
  if (verb === 'generate') {
    for (const [file, dashboard] of Object.entries(buildDashboards())) {
      writeFileSync(join(paths.dashboards, file), dashboardText(dashboard));
      process.stdout.write(`wrote deploy/grafana/dashboards/${file}\n`);
    }
    return 0;
  }
  if (verb === 'render' && arg) {
    const resources = kubectlKustomize(join(paths.k8s, 'overlays', arg));
    process.stdout.write(resources.map((r) => stringify(r)).join('---\n'));
    return 0;
  }
  process.stderr.write(
    'usage: deploy-check generate | render <overlay> | scrape <service>=<url> ...\n',
  );
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`deploy-check: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
