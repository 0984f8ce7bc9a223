import { spawnSync } from 'node:child_process';
import { parseYamlDocuments } from './yaml-files.ts';
import { DeployCheckError } from './errors.ts';
import type { Resource } from './resource.ts';

/** The oldest kustomize that builds k8s/: `labels`, `patches` with targets, `replacements` (v4.5+). */
const MIN_KUSTOMIZE = [4, 5, 0] as const;

/**
 * The kubectl on PATH and the version of its built-in kustomize. KUBECTL_FAILED when there is none
 * or its kustomize is older than v4.5: Debian's `kubernetes-client` (kubectl 1.20) carries kustomize
 * v2.0, which has none of labels, patch targets or replacements that k8s/ uses, so it cannot build
 * the overlays (install kubectl >= 1.24 from the Kubernetes packages instead).
 */
export function findKubectl(): { path: string; kustomizeVersion: string } {
  const probe = spawnSync('kubectl', ['version', '--client'], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (probe.error || probe.status !== 0) {
    throw new DeployCheckError(
      'DEPLOY_CHECK_KUBECTL_FAILED',
      `kubectl is needed to render k8s/ (kubectl kustomize) and was not found on PATH: ${probe.error?.message ?? probe.stderr}`,
    );
  }
  const match = /Kustomize Version:\s*v?(\d+)\.(\d+)\.(\d+)/.exec(probe.stdout);
  const version = match ? [Number(match[1]), Number(match[2]), Number(match[3])] : [0, 0, 0];
  const older = MIN_KUSTOMIZE.findIndex((v, i) => version[i] !== v);
  if (!match || (older >= 0 && version[older]! < MIN_KUSTOMIZE[older]!)) {
    throw new DeployCheckError(
      'DEPLOY_CHECK_KUBECTL_FAILED',
      `kubectl's kustomize ${match ? `v${version.join('.')}` : '(unknown version)'} cannot build k8s/ (needs v${MIN_KUSTOMIZE.join('.')}+, kubectl >= 1.24): ${probe.stdout.trim()}`,
    );
  }
  return { path: 'kubectl', kustomizeVersion: version.join('.') };
}

/**
 * `kubectl kustomize <dir>`, parsed into objects: how kubectl apply -k would see them.
 *
 * @example const resources = kubectlKustomize(join(paths.k8s, 'overlays/local'));
 */
export function kubectlKustomize(dir: string, kubectl: string = findKubectl().path): Resource[] {
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
