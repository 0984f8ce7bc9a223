import { DeployCheckError } from '../errors.ts';
import { isRecord } from '../yaml-files.ts';
import type { JsonPatchOp } from './types.ts';

/**
 * Merge keys of the Kubernetes lists a strategic merge patch merges item by item (the
 * `patchMergeKey`s of the core API); every other list is replaced whole, as kustomize does for
 * lists without a merge key. `ports` merges by containerPort in a pod and by port in a Service.
 */
const MERGE_KEYS: Record<string, (item: Record<string, unknown>) => string | undefined> = {
  containers: () => 'name',
  initContainers: () => 'name',
  env: () => 'name',
  volumes: () => 'name',
  volumeMounts: () => 'mountPath',
  imagePullSecrets: () => 'name',
  ports: (item) => ('containerPort' in item ? 'containerPort' : 'port'),
};

/**
 * Applies a strategic merge patch (the subset kustomize applies to core objects): maps merge
 * key by key, `null` deletes a key, lists in MERGE_KEYS merge by their key (new items go first,
 * in the patch's order, as kustomize's kyaml merge puts them),
 * other lists and scalars are replaced. `$patch` directives are not supported.
 */
export function strategicMerge(target: unknown, patch: unknown, field = ''): unknown {
  if (isRecord(patch) && '$patch' in patch) {
    throw new DeployCheckError(
      'DEPLOY_CHECK_KUSTOMIZE_UNSUPPORTED',
      `$patch directives are not supported (in ${field || 'patch'})`,
    );
  }
  if (isRecord(target) && isRecord(patch)) {
    const out: Record<string, unknown> = { ...target };
    for (const [key, value] of Object.entries(patch)) {
      if (value === null) delete out[key];
      else out[key] = key in out ? strategicMerge(out[key], value, key) : strip(value);
    }
    return out;
  }
  if (
    Array.isArray(target) &&
    Array.isArray(patch) &&
    MERGE_KEYS[field] &&
    patch.every(isRecord) &&
    target.every(isRecord)
  ) {
    const out = target.map((item) => ({ ...item }));
    const added: Record<string, unknown>[] = [];
    for (const item of patch) {
      const key = MERGE_KEYS[field](item);
      if (key === undefined || !(key in item)) {
        throw new DeployCheckError(
          'DEPLOY_CHECK_PATCH_INVALID',
          `an item of ${field} in a patch lacks its merge key ${key ?? '(none)'}`,
        );
      }
      const at = out.findIndex((existing) => existing[key] === item[key]);
      if (at === -1) added.push(strip(item) as Record<string, unknown>);
      else out[at] = strategicMerge(out[at], item, '') as Record<string, unknown>;
    }
    return [...added, ...out];
  }
  return strip(patch);
}

/** Drops null-valued keys from a value being added (nothing to delete there). */
function strip(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(strip);
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== null) out[k] = strip(v);
  return out;
}

/** A deep copy of YAML-sourced data (plain objects, arrays, scalars). */
const clone = <T>(value: T): T =>
  value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);

/** Applies JSON patch (RFC 6902) operations add, replace and remove; returns a new object. */
export function applyJsonPatch(target: unknown, ops: JsonPatchOp[]): unknown {
  let doc = clone(target);
  for (const op of ops) {
    if (!['add', 'replace', 'remove'].includes(op.op)) {
      throw new DeployCheckError(
        'DEPLOY_CHECK_KUSTOMIZE_UNSUPPORTED',
        `JSON patch op "${op.op}" is not supported`,
      );
    }
    const tokens = op.path
      .split('/')
      .slice(1)
      .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
    if (tokens.length === 0) {
      if (op.op === 'remove')
        throw new DeployCheckError('DEPLOY_CHECK_PATCH_INVALID', 'cannot remove the whole document');
      doc = clone(op.value);
      continue;
    }
    let parent: unknown = doc;
    for (const token of tokens.slice(0, -1)) {
      parent = Array.isArray(parent)
        ? parent[Number(token)]
        : isRecord(parent)
          ? parent[token]
          : undefined;
      if (parent === undefined)
        throw new DeployCheckError(
          'DEPLOY_CHECK_PATCH_INVALID',
          `JSON patch path ${op.path} does not exist`,
        );
    }
    const last = tokens[tokens.length - 1]!;
    if (Array.isArray(parent)) {
      const index = last === '-' ? parent.length : Number(last);
      if (
        !Number.isInteger(index) ||
        index < 0 ||
        index > parent.length ||
        (op.op !== 'add' && index >= parent.length)
      ) {
        throw new DeployCheckError(
          'DEPLOY_CHECK_PATCH_INVALID',
          `JSON patch index in ${op.path} is out of range`,
        );
      }
      if (op.op === 'add') parent.splice(index, 0, clone(op.value));
      else if (op.op === 'replace') parent[index] = clone(op.value);
      else parent.splice(index, 1);
    } else if (isRecord(parent)) {
      if (op.op !== 'add' && !(last in parent))
        throw new DeployCheckError(
          'DEPLOY_CHECK_PATCH_INVALID',
          `JSON patch path ${op.path} does not exist`,
        );
      if (op.op === 'remove') delete parent[last];
      else parent[last] = clone(op.value);
    } else {
      throw new DeployCheckError(
        'DEPLOY_CHECK_PATCH_INVALID',
        `JSON patch path ${op.path} does not exist`,
      );
    }
  }
  return doc;
}
