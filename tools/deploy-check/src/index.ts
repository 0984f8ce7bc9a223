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
export { renderKustomization, secretBase64 } from './kustomize/render.ts';
export { nameSuffixHash } from './kustomize/hash.ts';
export { strategicMerge, applyJsonPatch } from './kustomize/merge.ts';
export type { Resource, PatchTarget, JsonPatchOp } from './kustomize/types.ts';
export { validateResource } from './k8s-schemas.ts';
export { findKubectl, kubectlKustomize } from './kubectl.ts';
export { parseDockerfile, dockerignoreExcludes, type DockerInstruction } from './dockerfile.ts';
export { checkComposeSchema, composeSchemaPath, interpolateDefaults } from './compose-schema.ts';
export { exposedFamilies, scrapeProblems } from './scrape-check.ts';
