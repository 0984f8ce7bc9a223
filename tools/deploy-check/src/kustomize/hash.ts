import { createHash } from 'node:crypto';

/**
 * Go's encoding/json escapes <, >, & and the JS line separators; kustomize hashes that text, so
 * the same escaping is needed for the same suffix.
 */
function goJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Keys in Go's map order (sorted), recursively. */
function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, sorted((value as Record<string, unknown>)[k])]),
  );
}

/**
 * The name suffix kustomize gives a generated ConfigMap or Secret (api/hasher): sha256 of the
 * JSON of {kind, name, data[, type]}, first 10 hex digits, with 0 1 3 a e mapped to g h k m t so
 * the suffix never reads as a number or a word. kustomize v5 looks the name up with a path that
 * never matches, so `name` is always "" in what it hashes; this does the same (checked against
 * `kubectl kustomize` in the tests).
 */
export function nameSuffixHash(
  kind: 'ConfigMap' | 'Secret',
  data: Record<string, string>,
  type?: string,
): string {
  const encoded: Record<string, unknown> = { kind, name: '', data };
  if (kind === 'Secret') encoded.type = type ?? 'Opaque';
  const hex = createHash('sha256')
    .update(goJson(sorted(encoded)))
    .digest('hex');
  const map: Record<string, string> = { '0': 'g', '1': 'h', '3': 'k', a: 'm', e: 't' };
  return [...hex.slice(0, 10)].map((c) => map[c] ?? c).join('');
}
