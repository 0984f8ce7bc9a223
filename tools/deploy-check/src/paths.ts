import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (two levels above this workspace). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Well-known deploy files, as absolute paths. */
export const paths = {
  compose: join(repoRoot, 'docker-compose.yml'),
  dockerfile: join(repoRoot, 'Dockerfile'),
  dockerignore: join(repoRoot, '.dockerignore'),
  healthcheckScript: join(repoRoot, 'deploy/docker/healthcheck.mjs'),
  metrics: join(repoRoot, 'deploy/metrics.json'),
  alerts: join(repoRoot, 'deploy/prometheus/alerts.yml'),
  prometheus: join(repoRoot, 'deploy/prometheus/prometheus.yml'),
  dashboards: join(repoRoot, 'deploy/grafana/dashboards'),
  grafanaProvisioning: join(repoRoot, 'deploy/grafana/provisioning'),
  k8s: join(repoRoot, 'k8s'),
  topology: join(repoRoot, 'topology/topology.json'),
  fsScript: join(repoRoot, 'scripts/fs.sh'),
} as const;
