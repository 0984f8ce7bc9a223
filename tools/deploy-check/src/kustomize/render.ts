import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative, resolve, sep } from 'node:path';
import { DeployCheckError, type ErrorCode } from '../errors.ts';
import { isRecord, parseYaml, parseYamlDocuments } from '../yaml-files.ts';
import { nameSuffixHash } from './hash.ts';
import { applyJsonPatch, strategicMerge } from './merge.ts';
import type { Item, JsonPatchOp, PatchTarget, Resource } from './types.ts';

/**
 * A renderer for the subset of kustomize (v5 semantics) that k8s/ uses, so the overlays can be
 * built and checked where no kubectl is installed. Supported kustomization fields:
 *   resources (files and directories), namespace, labels (pairs, without selectors or
 *   templates), patches (strategic merge or JSON 6902, by path or inline, with or without target),
 *   configMapGenerator / secretGenerator (literals and files; behavior create | merge | replace;
 *   options.disableNameSuffixHash), generatorOptions.disableNameSuffixHash, images.
 * Anything else fails with DEPLOY_CHECK_KUSTOMIZE_UNSUPPORTED instead of being ignored. Where kubectl
 * is present, the tests check that it renders the same objects.
 */
export function renderKustomization(dir: string): Resource[] {
  return finalize(build(resolve(dir)));
}

const SUPPORTED = new Set([
  'apiVersion',
  'kind',
  'resources',
  'namespace',
  'labels',
  'patches',
  'configMapGenerator',
  'secretGenerator',
  'generatorOptions',
  'images',
]);

/** Kinds without a namespace (the ones a deploy here may hold). */
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'PersistentVolume',
  'StorageClass',
  'PriorityClass',
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
  'ClusterTriggerAuthentication',
]);

interface Generator {
  name: string;
  behavior?: 'create' | 'merge' | 'replace';
  literals?: string[];
  files?: string[];
  type?: string;
  options?: { disableNameSuffixHash?: boolean };
}

interface Kustomization {
  resources?: string[];
  namespace?: string;
  labels?: Array<{
    pairs: Record<string, string>;
    includeSelectors?: boolean;
    includeTemplates?: boolean;
  }>;
  patches?: Array<{ path?: string; patch?: string; target?: PatchTarget; options?: unknown }>;
  configMapGenerator?: Generator[];
  secretGenerator?: Generator[];
  generatorOptions?: { disableNameSuffixHash?: boolean };
  images?: Array<{ name: string; newName?: string; newTag?: string; digest?: string }>;
}

function fail(
  code: ErrorCode,
  message: string,
  details: Record<string, unknown> = {},
): never {
  throw new DeployCheckError(code, message, details);
}

function loadKustomization(dir: string): Kustomization {
  const file = ['kustomization.yaml', 'kustomization.yml', 'Kustomization']
    .map((f) => join(dir, f))
    .find((f) => existsSync(f));
  if (!file) fail('DEPLOY_CHECK_KUSTOMIZATION_INVALID', `no kustomization.yaml in ${dir}`, { dir });
  const k = parseYaml(readFileSync(file, 'utf8'), file);
  if (!isRecord(k)) fail('DEPLOY_CHECK_KUSTOMIZATION_INVALID', `${file} is not a map`, { file });
  for (const key of Object.keys(k)) {
    if (!SUPPORTED.has(key))
      fail(
        'DEPLOY_CHECK_KUSTOMIZE_UNSUPPORTED',
        `${file}: field "${key}" is not supported by this renderer`,
        { file, key },
      );
  }
  return k as Kustomization;
}

/** A file a kustomization loads must be inside its folder (kustomize's default load restrictor). */
function fileInside(dir: string, path: string): string {
  const full = resolve(dir, path);
  const rel = relative(dir, full);
  if (rel.startsWith('..') || rel.startsWith(sep)) {
    fail(
      'DEPLOY_CHECK_KUSTOMIZATION_INVALID',
      `${path} is outside ${dir} (kustomize loads files only from the kustomization's folder)`,
      { dir, path },
    );
  }
  if (!existsSync(full))
    fail('DEPLOY_CHECK_KUSTOMIZATION_INVALID', `${path} does not exist (from ${dir})`, { dir, path });
  return full;
}

function asResource(doc: unknown, source: string): Resource {
  if (
    !isRecord(doc) ||
    typeof doc.apiVersion !== 'string' ||
    typeof doc.kind !== 'string' ||
    !isRecord(doc.metadata) ||
    typeof doc.metadata.name !== 'string'
  ) {
    fail(
      'DEPLOY_CHECK_KUSTOMIZATION_INVALID',
      `${source}: every object needs apiVersion, kind and metadata.name`,
      { source },
    );
  }
  return doc as Resource;
}

/** Builds one kustomization level: resources, generators, then the transformers in kustomize's order. */
function build(dir: string): Item[] {
  const k = loadKustomization(dir);
  let items: Item[] = [];
  for (const entry of k.resources ?? []) {
    if (/^[a-z]+:\/\//i.test(entry))
      fail('DEPLOY_CHECK_KUSTOMIZE_UNSUPPORTED', `remote resource ${entry} is not supported`, { dir });
    const full = resolve(dir, entry);
    if (existsSync(full) && statSync(full).isDirectory()) {
      items.push(...build(full));
    } else {
      const file = fileInside(dir, entry);
      for (const doc of parseYamlDocuments(readFileSync(file, 'utf8'), file))
        items.push({ res: asResource(doc, file) });
    }
  }
  items = generate(items, dir, k, 'ConfigMap', k.configMapGenerator ?? []);
  items = generate(items, dir, k, 'Secret', k.secretGenerator ?? []);
  assertUnique(items, dir);

  for (const p of k.patches ?? []) items = applyPatch(items, dir, p);
  if (k.namespace) {
    for (const item of items)
      if (!CLUSTER_SCOPED.has(item.res.kind))
        item.res = { ...item.res, metadata: { ...item.res.metadata, namespace: k.namespace } };
  }
  for (const label of k.labels ?? []) {
    if (label.includeSelectors || label.includeTemplates) {
      fail(
        'DEPLOY_CHECK_KUSTOMIZE_UNSUPPORTED',
        `${dir}: labels with includeSelectors or includeTemplates are not supported`,
        { dir },
      );
    }
    for (const item of items) {
      item.res = {
        ...item.res,
        metadata: { ...item.res.metadata, labels: { ...item.res.metadata.labels, ...label.pairs } },
      };
    }
  }
  for (const image of k.images ?? [])
    for (const item of items) item.res = setImage(item.res, image) as Resource;
  return items;
}

function parseLiteral(literal: string, name: string): [string, string] {
  const at = literal.indexOf('=');
  if (at <= 0)
    fail(
      'DEPLOY_CHECK_KUSTOMIZATION_INVALID',
      `generator ${name}: literal "${literal}" is not KEY=VALUE`,
      { name },
    );
  let value = literal.slice(at + 1);
  if (
    value.length >= 2 &&
    ((value.startsWith('"') && value.endsWith('"')) ||
      (value.startsWith("'") && value.endsWith("'")))
  )
    value = value.slice(1, -1);
  return [literal.slice(0, at), value];
}

function generate(
  items: Item[],
  dir: string,
  k: Kustomization,
  kind: 'ConfigMap' | 'Secret',
  generators: Generator[],
): Item[] {
  for (const g of generators) {
    for (const key of Object.keys(g)) {
      if (!['name', 'behavior', 'literals', 'files', 'type', 'options'].includes(key)) {
        fail(
          'DEPLOY_CHECK_KUSTOMIZE_UNSUPPORTED',
          `${kind} generator ${g.name}: field "${key}" is not supported`,
          { name: g.name, key },
        );
      }
    }
    const literals: Record<string, string> = Object.fromEntries(
      (g.literals ?? []).map((l) => parseLiteral(l, g.name)),
    );
    for (const entry of g.files ?? []) {
      const at = entry.indexOf('=');
      const key = at === -1 ? basename(entry) : entry.slice(0, at);
      literals[key] = readFileSync(
        fileInside(dir, at === -1 ? entry : entry.slice(at + 1)),
        'utf8',
      );
    }
    const data =
      kind === 'Secret'
        ? Object.fromEntries(Object.entries(literals).map(([key, v]) => [key, secretBase64(v)]))
        : literals;
    const behavior = g.behavior ?? 'create';
    const hashSuffix = !(
      g.options?.disableNameSuffixHash ??
      k.generatorOptions?.disableNameSuffixHash ??
      false
    );
    const existing = items.find(
      (i) => i.res.kind === kind && (i.generated?.name ?? i.res.metadata.name) === g.name,
    );
    if (behavior === 'create') {
      if (existing)
        fail(
          'DEPLOY_CHECK_KUSTOMIZATION_INVALID',
          `${kind} ${g.name} is generated twice (use behavior: merge or replace)`,
          { name: g.name },
        );
      const res: Resource = { apiVersion: 'v1', kind, metadata: { name: g.name }, data };
      if (kind === 'Secret') res.type = g.type ?? 'Opaque';
      items.push({ res, generated: { name: g.name, hashSuffix } });
    } else {
      if (!existing)
        fail(
          'DEPLOY_CHECK_KUSTOMIZATION_INVALID',
          `${kind} ${g.name} has behavior ${behavior} but no base generates it`,
          { name: g.name },
        );
      const base =
        behavior === 'merge'
          ? ((existing.res.data as Record<string, string> | undefined) ?? {})
          : {};
      existing.res = { ...existing.res, data: { ...base, ...data } };
      existing.generated = {
        name: g.name,
        hashSuffix: existing.generated?.hashSuffix ?? hashSuffix,
      };
    }
  }
  return items;
}

/**
 * Base64 as kustomize writes Secret data: lines of 70 characters, each ending in a newline once
 * the text is longer than one line (kyaml's encodeBase64). The API server ignores the newlines,
 * and the name suffix hash covers them.
 */
export function secretBase64(value: string): string {
  const encoded = Buffer.from(value).toString('base64');
  if (encoded.length < 70) return encoded;
  let out = '';
  for (let i = 0; i < encoded.length; i += 70) out += `${encoded.slice(i, i + 70)}\n`;
  return out;
}

function assertUnique(items: Item[], dir: string): void {
  const seen = new Set<string>();
  for (const { res } of items) {
    const id = `${res.apiVersion.split('/').length > 1 ? res.apiVersion.split('/')[0] : ''}/${res.kind}/${res.metadata.namespace ?? ''}/${res.metadata.name}`;
    if (seen.has(id))
      fail(
        'DEPLOY_CHECK_KUSTOMIZATION_INVALID',
        `${dir}: ${res.kind} ${res.metadata.name} is defined twice`,
        { dir },
      );
    seen.add(id);
  }
}

function groupOf(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.split('/')[0]! : '';
}

function matchesTarget(res: Resource, t: PatchTarget): boolean {
  if (t.kind && t.kind !== res.kind) return false;
  if (t.name && !new RegExp(`^(?:${t.name})$`).test(res.metadata.name)) return false;
  if (t.namespace && t.namespace !== res.metadata.namespace) return false;
  if (t.group !== undefined && t.group !== groupOf(res.apiVersion)) return false;
  if (t.version && t.version !== res.apiVersion.split('/').pop()) return false;
  if (t.labelSelector) {
    for (const term of t.labelSelector.split(',')) {
      const [key, value] = term.split('=').map((s) => s.trim());
      if (!key || value === undefined)
        fail(
          'DEPLOY_CHECK_KUSTOMIZE_UNSUPPORTED',
          `label selector "${t.labelSelector}": only key=value terms are supported`,
        );
      if (res.metadata.labels?.[key] !== value) return false;
    }
  }
  return true;
}

function applyPatch(
  items: Item[],
  dir: string,
  p: NonNullable<Kustomization['patches']>[number],
): Item[] {
  if (p.options !== undefined)
    fail('DEPLOY_CHECK_KUSTOMIZE_UNSUPPORTED', `${dir}: patch options are not supported`, { dir });
  const source = p.path ? fileInside(dir, p.path) : `${dir} (inline patch)`;
  const text = p.path ? readFileSync(source, 'utf8') : p.patch;
  if (text === undefined)
    fail('DEPLOY_CHECK_PATCH_INVALID', `${dir}: a patch needs path or patch`, { dir });
  const docs = parseYamlDocuments(text, source);
  if (docs.length !== 1)
    fail('DEPLOY_CHECK_PATCH_INVALID', `${source}: a patch holds exactly one document`, { source });
  const patch = docs[0];
  const isJsonPatch = Array.isArray(patch);
  if (isJsonPatch && !p.target)
    fail('DEPLOY_CHECK_PATCH_INVALID', `${source}: a JSON 6902 patch needs a target`, { source });
  if (!isJsonPatch && !isRecord(patch))
    fail('DEPLOY_CHECK_PATCH_INVALID', `${source}: a strategic merge patch is one object`, { source });

  let target: PatchTarget;
  if (p.target) {
    target = p.target;
  } else {
    const self = asResource(patch, source);
    target = { kind: self.kind, name: self.metadata.name, group: groupOf(self.apiVersion) };
    if (self.metadata.namespace) target.namespace = self.metadata.namespace;
  }
  const matching = items.filter((i) =>
    matchesTarget(i.res, {
      ...target,
      name: target.name && escapeIfLiteral(target.name, !!p.target),
    }),
  );
  if (matching.length === 0)
    fail(
      'DEPLOY_CHECK_PATCH_TARGET_MISSING',
      `${source}: the patch matches no resource (${JSON.stringify(target)})`,
      { source, target },
    );
  for (const item of matching) {
    if (isJsonPatch) {
      item.res = applyJsonPatch(item.res, patch as JsonPatchOp[]) as Resource;
    } else {
      // With a target, the patch's own kind/name only locate it in the file: the target's object keeps its identity.
      const body = { ...(patch as Record<string, unknown>) };
      if (p.target) {
        delete body.apiVersion;
        delete body.kind;
        if (isRecord(body.metadata)) {
          const { name: _name, namespace: _ns, ...restMeta } = body.metadata;
          body.metadata = restMeta;
        }
      }
      item.res = strategicMerge(item.res, body) as Resource;
    }
  }
  return items;
}

/** A patch's own name is literal; a target's name is a regular expression (as in kustomize). */
function escapeIfLiteral(name: string, isTarget: boolean): string {
  return isTarget ? name : name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function setImage(value: unknown, image: NonNullable<Kustomization['images']>[number]): unknown {
  if (Array.isArray(value)) return value.map((v) => setImage(v, image));
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if ((key === 'containers' || key === 'initContainers') && Array.isArray(v)) {
      out[key] = v.map((c) =>
        isRecord(c) && typeof c.image === 'string' ? { ...c, image: retag(c.image, image) } : c,
      );
    } else {
      out[key] = setImage(v, image);
    }
  }
  return out;
}

function retag(ref: string, image: NonNullable<Kustomization['images']>[number]): string {
  const digestAt = ref.indexOf('@');
  const withoutDigest = digestAt === -1 ? ref : ref.slice(0, digestAt);
  const colon = withoutDigest.lastIndexOf(':');
  const hasTag = colon > withoutDigest.lastIndexOf('/');
  const name = hasTag ? withoutDigest.slice(0, colon) : withoutDigest;
  if (name !== image.name) return ref;
  const tag = hasTag ? withoutDigest.slice(colon + 1) : undefined;
  const digest = digestAt === -1 ? undefined : ref.slice(digestAt + 1);
  const newName = image.newName ?? name;
  if (image.digest) return `${newName}@${image.digest}`;
  if (image.newTag) return `${newName}:${image.newTag}`;
  return `${newName}${tag ? `:${tag}` : ''}${digest ? `@${digest}` : ''}`;
}

/** Top level only: suffixes generated names with their hash and points references at them. */
function finalize(items: Item[]): Resource[] {
  const renamed = { ConfigMap: new Map<string, string>(), Secret: new Map<string, string>() };
  for (const item of items) {
    if (!item.generated) continue;
    const kind = item.res.kind as 'ConfigMap' | 'Secret';
    const name = item.generated.hashSuffix
      ? `${item.generated.name}-${nameSuffixHash(kind, (item.res.data as Record<string, string>) ?? {}, item.res.type as string | undefined)}`
      : item.generated.name;
    renamed[kind].set(`${item.res.metadata.namespace ?? ''}/${item.generated.name}`, name);
    item.res = { ...item.res, metadata: { ...item.res.metadata, name } };
  }
  return items.map(
    ({ res }) => rewriteReferences(res, res.metadata.namespace ?? '', renamed) as Resource,
  );
}

/**
 * Rewrites references to generated ConfigMaps and Secrets in the places kustomize's name
 * reference config covers for core objects: configMapRef, configMapKeyRef, secretRef,
 * secretKeyRef, volumes[].configMap.name, volumes[].secret.secretName, projected sources.
 */
function rewriteReferences(
  value: unknown,
  namespace: string,
  renamed: { ConfigMap: Map<string, string>; Secret: Map<string, string> },
  parentKey = '',
): unknown {
  if (Array.isArray(value))
    return value.map((v) => rewriteReferences(v, namespace, renamed, parentKey));
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value))
    out[key] = rewriteReferences(v, namespace, renamed, key);
  const lookup = (kind: 'ConfigMap' | 'Secret', field: string) => {
    const current = out[field];
    if (typeof current === 'string')
      out[field] = renamed[kind].get(`${namespace}/${current}`) ?? current;
  };
  if (parentKey === 'configMapRef' || parentKey === 'configMapKeyRef') lookup('ConfigMap', 'name');
  if (parentKey === 'secretRef' || parentKey === 'secretKeyRef') lookup('Secret', 'name');
  if (parentKey === 'configMap') lookup('ConfigMap', 'name');
  if (parentKey === 'secret') {
    lookup('Secret', 'secretName');
    lookup('Secret', 'name');
  }
  return out;
}
