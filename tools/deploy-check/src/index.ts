export { DeployCheckError, DeployCheckErrorCodes, type ErrorCode } from './errors.ts';
export { paths, repoRoot } from './paths.ts';
export {
  parseYaml,
  parseYamlDocuments,
  readYaml,
  readYamlDocuments,
  isRecord,
} from './yaml-files.ts';
export { selectedMetrics, substituteGrafanaVariables, type MetricSelector } from './promql.ts';
export {
  loadMetricsCatalog,
  resolveMetric,
  checkQuery,
  type MetricsCatalog,
  type MetricEntry,
} from './metrics-catalog.ts';
export {
  buildDashboards,
  dashboardQueries,
  dashboardText,
  DASHBOARD_SERVICES,
  DATASOURCE,
  type Dashboard,
} from './dashboards.ts';
export type { Resource } from './resource.ts';
export { validateResource } from './k8s-schemas.ts';
export { findKubectl, kubectlKustomize } from './kubectl.ts';
export {
  contractOf,
  envProblems,
  healthcheckVariables,
  WORKLOAD_CONTRACTS,
  type EnvContract,
  type GivenVariable,
} from './env-contract.ts';
export { composeEnvProblems, containerEnv, imageWorkload, k8sEnvProblems } from './workload-env.ts';
export { parseDockerfile, dockerignoreExcludes, type DockerInstruction } from './dockerfile.ts';
export { checkComposeSchema, composeSchemaPath, interpolateDefaults } from './compose-schema.ts';
export { exposedFamilies, scrapeProblems } from './scrape-check.ts';
