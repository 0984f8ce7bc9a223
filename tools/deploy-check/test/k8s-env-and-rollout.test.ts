import { afterAll, describe, expect, it } from '@jest/globals';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubectlKustomize } from '../src/kubectl.ts';
import type { Resource } from '../src/resource.ts';
import { paths, repoRoot } from '../src/paths.ts';
import { k8sEnvProblems } from '../src/workload-env.ts';
import { byKind, find, podTemplate } from './helpers/rendered.ts';

// What `kubectl apply -k` would apply: each workload's environment against its config schema, and
// what makes a re-apply safe (KEDA keeps its replica count, the topology Job, the dashboards).
const builds = ['base', 'overlays/local', 'overlays/production'] as const;
const rendered = Object.fromEntries(
  builds.map((b) => [b, kubectlKustomize(join(paths.k8s, b))]),
) as Record<(typeof builds)[number], Resource[]>;
const appContainer = (res: Resource) =>
  podTemplate(res)!.spec.containers.find((c) => c.name === 'app')!;

describe.each(builds)('kustomize build of k8s/%s', (build) => {
  const resources = rendered[build];

  it("gives every fleetstream workload exactly the variables its service's config schema reads, with values its rules accept", () => {
    expect(byKind(resources, 'Deployment').length).toBeGreaterThanOrEqual(5);
    expect(k8sEnvProblems(resources)).toEqual([]);
  });

  it('leaves the replica count of every Deployment KEDA scales to KEDA', () => {
    const targets = byKind(resources, 'ScaledObject').map(
      (s) => (s.spec as { scaleTargetRef: { name: string } }).scaleTargetRef.name,
    );
    expect(targets.sort()).toEqual(['enrich', 'parse', 'store']);
    expect(
      targets.map((name) => [
        name,
        (find(resources, 'Deployment', name)!.spec as { replicas?: number }).replicas,
      ]),
    ).toEqual(targets.map((name) => [name, undefined]));
  });
});

describe('the environment check of k8s workloads', () => {
  it('reports a variable nothing reads, a required one missing and a value its rule rejects (the check is live)', () => {
    // Prepare: the local overlay as rendered, then broken three ways
    const resources = structuredClone(rendered['overlays/local']);
    const simulator = appContainer(find(resources, 'Deployment', 'simulator')!);
    simulator.env!.push({ name: 'DEVICES', value: '200' });
    const sqlSource = appContainer(find(resources, 'Deployment', 'sql-source')!);
    sqlSource.env = sqlSource.env!.filter((e) => e.name !== 'SQL_URL');
    sqlSource.env.push({ name: 'SQL_MODE', value: 'rowversions' });

    // Act
    const problems = k8sEnvProblems(resources);

    // Assess
    expect(problems.sort()).toEqual([
      'Deployment/simulator: gets DEVICES, which its config schema does not read',
      'Deployment/sql-source: SQL_MODE="rowversions" must be timestamp, xid or rowversion',
      'Deployment/sql-source: lacks SQL_URL, which its config schema requires',
    ]);
  });
});

describe('re-applying k8s/overlays/production with a new image', () => {
  const made: string[] = [];
  afterAll(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('names the topology Job after the new tag, so the apply creates a Job instead of changing an immutable template', () => {
    // Prepare: a copy of k8s/ and the dashboards it includes, with a new cli tag in production
    const root = mkdtempSync(join(tmpdir(), 'deploy-check-k8s-'));
    made.push(root);
    cpSync(paths.k8s, join(root, 'k8s'), { recursive: true });
    cpSync(join(repoRoot, 'deploy/grafana'), join(root, 'deploy/grafana'), { recursive: true });
    const file = join(root, 'k8s/overlays/production/kustomization.yaml');
    const text = readFileSync(file, 'utf8');
    const next = text.replace(
      /(newName: registry\.example\.com\/fleetstream\/cli\n\s+newTag: )0\.1\.0/,
      '$10.2.0',
    );
    expect(next).not.toBe(text);
    writeFileSync(file, next);

    // Act
    const before = byKind(rendered['overlays/production'], 'Job');
    const after = byKind(kubectlKustomize(join(root, 'k8s/overlays/production')), 'Job');

    // Assess
    expect(before.map((j) => j.metadata.name)).toEqual(['topology-apply-0.1.0']);
    expect(after.map((j) => j.metadata.name)).toEqual(['topology-apply-0.2.0']);
    expect(appContainer(after[0]!).image).toBe('registry.example.com/fleetstream/cli:0.2.0');
  });
});

describe.each(builds)('Grafana dashboards in k8s/%s', (build) => {
  it('ship every file of deploy/grafana/dashboards as its own ConfigMap labelled for the Grafana sidecar, under a stable name', () => {
    // Prepare
    const files = readdirSync(paths.dashboards).filter((f) => f.endsWith('.json'));
    const maps = byKind(rendered[build], 'ConfigMap').filter(
      (c) => c.metadata.labels?.grafana_dashboard === '1',
    );

    // Assess
    expect(files.length).toBeGreaterThan(1);
    expect(
      maps
        .map((c) => [c.metadata.name, c.data])
        .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    ).toEqual(
      files
        .map((f) => [
          `grafana-dashboard-${f.replace(/\.json$/, '')}`,
          { [f]: readFileSync(join(paths.dashboards, f), 'utf8') },
        ])
        .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    );
  });
});
