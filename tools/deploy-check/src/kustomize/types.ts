/** A Kubernetes object as YAML gives it. */
export interface Resource {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  } & Record<string, unknown>;
  [field: string]: unknown;
}

/** A resource during a build; generated ConfigMaps/Secrets get their hash suffix at the end. */
export interface Item {
  res: Resource;
  /** Set for generator output: the name before the suffix, and whether a suffix is wanted. */
  generated?: { name: string; hashSuffix: boolean };
}

/** `patches[].target` of a kustomization. */
export interface PatchTarget {
  group?: string;
  version?: string;
  kind?: string;
  name?: string;
  namespace?: string;
  labelSelector?: string;
}

/** One JSON 6902 operation (the subset the renderer applies). */
export interface JsonPatchOp {
  op: 'add' | 'replace' | 'remove';
  path: string;
  value?: unknown;
}
