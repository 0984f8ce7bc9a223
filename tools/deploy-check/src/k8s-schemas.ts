import type { Resource } from './resource.ts';

/**
 * The packages whose models validate each API group (kubernetes-models for the core API,
 * @kubernetes-models/keda and @kubernetes-models/prometheus-operator for the CRDs used here).
 */
const MODULES: Record<string, () => Promise<Record<string, unknown>>> = {
  v1: () => import('kubernetes-models/v1'),
  'apps/v1': () => import('kubernetes-models/apps/v1'),
  'batch/v1': () => import('kubernetes-models/batch/v1'),
  'policy/v1': () => import('kubernetes-models/policy/v1'),
  'autoscaling/v2': () => import('kubernetes-models/autoscaling/v2'),
  'rbac.authorization.k8s.io/v1': () => import('kubernetes-models/rbac.authorization.k8s.io/v1'),
  'networking.k8s.io/v1': () => import('kubernetes-models/networking.k8s.io/v1'),
  'keda.sh/v1alpha1': () => import('@kubernetes-models/keda/keda.sh/v1alpha1'),
  'monitoring.coreos.com/v1': () =>
    import('@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1'),
};

interface Model {
  validate(): void;
}

/**
 * Validates one object against its published schema. Returns the problems (empty when valid);
 * an apiVersion/kind no package here models is a problem too, so nothing passes unchecked.
 *
 * Secret data is validated with line breaks removed: kustomize wraps long base64 values at 70
 * characters, which the API server's decoder ignores but the schema's "byte" format does not.
 */
export async function validateResource(res: Resource): Promise<string[]> {
  const where = `${res.kind} ${res.metadata?.name ?? '(no name)'}`;
  const load = MODULES[res.apiVersion];
  if (!load) return [`${where}: apiVersion ${res.apiVersion} has no schema here`];
  const mod = await load();
  const ModelClass = mod[res.kind] as (new (data: unknown) => Model) | undefined;
  if (typeof ModelClass !== 'function')
    return [`${where}: ${res.apiVersion} has no kind ${res.kind}`];
  const data =
    res.kind === 'Secret' && res.data
      ? { ...res, data: unstripped(res.data as Record<string, string>) }
      : res;
  try {
    new ModelClass(data).validate();
    return [];
  } catch (err) {
    return [`${where}: ${(err as Error).message}`];
  }
}

function unstripped(data: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, v.replace(/\n/g, '')]));
}
