import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';

/**
 * The compose-spec JSON schema (draft-07), as shipped in the npm package dclint (pinned in
 * package.json), so it comes from the registry like every other dependency instead of a copy.
 */
export const composeSchemaPath = join(
  dirname(createRequire(import.meta.url).resolve('dclint/package.json')),
  'schemas/compose.schema.json',
);

let validator: ReturnType<Ajv['compile']> | undefined;

/**
 * Validates a parsed (merge keys resolved, variables interpolated) compose file against the
 * compose-spec schema. Returns the problems as `path: message`; empty when valid.
 */
export function checkComposeSchema(compose: unknown): string[] {
  if (!validator) {
    const schema = JSON.parse(readFileSync(composeSchemaPath, 'utf8')) as Record<string, unknown>;
    delete schema.$schema; // draft-07, Ajv's default; the https spelling is not a registered meta-schema id
    const ajv = new Ajv({ allErrors: true, strict: false });
    const addFormats = addFormatsModule as unknown as { default?: (a: Ajv) => void } & ((
      a: Ajv,
    ) => void);
    (addFormats.default ?? addFormats)(ajv);
    validator = ajv.compile(schema);
  }
  if (validator(compose)) return [];
  return (validator.errors ?? []).map(
    (e) =>
      `${e.instancePath || '/'}: ${e.message ?? e.keyword}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`,
  );
}

/**
 * Compose's variable interpolation with no environment: `${VAR:-default}` and `${VAR-default}`
 * become the default, `$$` a literal `$`. Returns the missing variables (no default) too.
 */
export function interpolateDefaults(
  value: unknown,
  missing: Set<string> = new Set(),
): { value: unknown; missing: Set<string> } {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      return v
        .replace(/\$\$/g, '\uFFFF')
        .replace(
          /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
          (_m, braced: string | undefined, def: string | undefined, bare: string | undefined) => {
            if (def !== undefined) return def;
            missing.add((braced ?? bare)!);
            return '';
          },
        )
        .replace(/\uFFFF/g, '$');
    }
    if (Array.isArray(v)) return v.map(walk);
    if (typeof v === 'object' && v !== null)
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return { value: walk(value), missing };
}
