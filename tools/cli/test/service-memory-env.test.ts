import { readFileSync } from 'node:fs';
import { LOCAL_NODE_OPTIONS, SERVICE_MEMORY_ENV } from '../src/demo/pipeline.ts';

const dockerfile = readFileSync(new URL('../../../Dockerfile', import.meta.url), 'utf8');

/** The `KEY=value` pairs of the Dockerfile's ENV lines (values unquoted). */
function imageEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n').filter((l) => l.startsWith('ENV '))) {
    for (const m of line.slice(4).matchAll(/([A-Z_][A-Z0-9_]*)=("[^"]*"|\S+)/g)) env[m[1]!] = m[2]!.replace(/^"|"$/g, '');
  }
  return env;
}

describe('the memory settings of a service process', () => {
  test('the image runs the services with the memory settings the local launcher uses', () => {
    const env = imageEnv(dockerfile);
    expect(Object.fromEntries(Object.keys(SERVICE_MEMORY_ENV).map((k) => [k, env[k]]))).toEqual(SERVICE_MEMORY_ENV);
  });

  test('the local launcher adds an old-space cap to the flags of the image, standing in for the memory limit of a container', () => {
    expect(LOCAL_NODE_OPTIONS).toBe(`${SERVICE_MEMORY_ENV.NODE_OPTIONS} --max-old-space-size=256`);
  });

  test('the flags are ones Node accepts in NODE_OPTIONS', () => {
    // Node refuses to start on a flag NODE_OPTIONS does not allow; V8 flags it allows are listed here.
    const allowed = new Set([...process.allowedNodeEnvironmentFlags]);
    for (const flag of LOCAL_NODE_OPTIONS.split(' ')) expect(allowed.has(flag.split('=')[0]!)).toBe(true);
  });
});
