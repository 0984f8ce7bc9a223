import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The one error model, checked over every package of the repository by reading its source (no
 * imports, so libs/stream does not depend on the packages it checks): each package of libs/,
 * services/ and tools/ that has a src/errors.ts
 * errors declares its codes one way (`export const <Name>ErrorCodes = [...] as const` in
 * src/errors.ts), prefixed with the package's name, its error classes extend FleetstreamError,
 * and its README lists every code.
 */
const repo = fileURLToPath(new URL('../../../', import.meta.url));

const packages = ['libs', 'services', 'tools'].flatMap((group) =>
  readdirSync(`${repo}${group}`)
    .map((name) => ({ dir: `${group}/${name}`, name }))
    .filter((p) => existsSync(`${repo}${p.dir}/src/errors.ts`)),
);

/** The codes of a package's `as const` list, or undefined when it declares none that way. */
function declaredCodes(source: string): string[] | undefined {
  const match = /export const \w+ErrorCodes = \[([\s\S]*?)\] as const;/.exec(source);
  return match ? [...match[1]!.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '').matchAll(/'([A-Z0-9_]+)'/g)].map((m) => m[1]!) : undefined;
}

describe('every package documents its error codes', () => {
  test('the packages with errors are found (the check is not empty)', () => {
    expect(packages.map((p) => p.dir)).toEqual(expect.arrayContaining(['libs/stream', 'libs/telemetry', 'services/enrich', 'services/gateway', 'services/sql-source', 'services/store', 'tools/cli', 'tools/deploy-check', 'tools/devstack']));
  });

  describe.each(packages)('$dir', ({ dir, name }) => {
    const source = readFileSync(`${repo}${dir}/src/errors.ts`, 'utf8');
    const readme = readFileSync(`${repo}${dir}/README.md`, 'utf8');
    const prefix = `${name.replace(/-/g, '_').toUpperCase()}_`;

    test(`declares its codes as one \`as const\` list, each prefixed ${prefix}`, () => {
      const codes = declaredCodes(source);
      expect(codes).toBeDefined();
      expect(codes!.length).toBeGreaterThan(0);
      expect(codes!.filter((c) => !c.startsWith(prefix))).toEqual([]);
    });

    test('every error class of its src/ extends FleetstreamError (directly or through the package base)', () => {
      const files = readdirSync(`${repo}${dir}/src`, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
      const plain = files.flatMap((f) =>
        [...readFileSync(`${repo}${dir}/src/${f}`, 'utf8').matchAll(/class (\w+)(?:<[^>]*>)? extends (Error|RangeError|TypeError)\b/g)].map((m) => `${f}: ${m[1]!}`),
      );
      expect(plain.filter((c) => !c.endsWith(': FleetstreamError'))).toEqual([]);
      expect(source).toMatch(/export class \w+ extends (FleetstreamError|StreamError)\b/);
    });

    test('its README lists every code', () => {
      expect((declaredCodes(source) ?? []).filter((code) => !readme.includes(code))).toEqual([]);
    });
  });
});
