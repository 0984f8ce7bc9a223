import { spawnSync } from 'node:child_process';
import { parseYamlDocuments } from './yaml-files.ts';
import { DeployCheckError } from './errors.ts';
import type { Resource } from './kustomize/types.ts';

/**
 * The kubectl on PATH when its built-in kustomize is v4 or newer (kubectl >= 1.21); older ones
 * (Debian's 1.20 has kustomize v2) build differently and are not used. Undefined when none.
 */
export function findKubectl(): { path: string; kustomizeVersion: string } | undefined {
  const probe = spawnSync('kubectl', ['version', '--client'], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (probe.status !== 0 || probe.error) return undefined;
  const match = /Kustomize Version:\s*v?(\d+)\.(\d+)\.(\d+)/.exec(probe.stdout);
  if (!match || Number(match[1]) < 4) return undefined;
  return { path: 'kubectl', kustomizeVersion: `${match[1]}.${match[2]}.${match[3]}` };
}

/** `kubectl kustomize <dir>`, parsed. */
export function kubectlKustomize(kubectl: string, dir: string): Resource[] {
  const run = spawnSync(kubectl, ['kustomize', dir], {
    encoding: 'utf8',
    timeout: 120_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.status !== 0) {
    throw new DeployCheckError(
      'DEPLOY_CHECK_KUBECTL_FAILED',
      `kubectl kustomize ${dir} failed: ${run.stderr || run.error?.message}`,
      { dir },
    );
  }
  return parseYamlDocuments(run.stdout, `kubectl kustomize ${dir}`) as Resource[];
}
