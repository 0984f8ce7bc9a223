import { afterAll, describe, expect, it } from '@jest/globals';
import { DeployCheckError } from '../src/errors.ts';
import { applyJsonPatch, strategicMerge } from '../src/kustomize/merge.ts';
import { renderKustomization } from '../src/kustomize/render.ts';
import { removeTrees, writeTree } from './helpers/temp-tree.ts';

afterAll(removeTrees);

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
spec:
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: app
          image: example/web:1.0
          env:
            - name: A
              value: "1"
          envFrom:
            - configMapRef:
                name: cfg
            - secretRef:
                name: sec
      volumes:
        - name: files
          configMap:
            name: cfg
`;

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof DeployCheckError ? err.code : `not a DeployCheckError: ${String(err)}`;
  }
  return undefined;
}

describe('renderKustomization', () => {
  it('names generated ConfigMaps and Secrets with the hash kustomize gives them and points references at them', () => {
    // Prepare: the suffixes are what kubectl kustomize (kustomize v5.5) printed for the same input
    const dir = writeTree({
      'kustomization.yaml':
        'resources: [deployment.yaml]\nconfigMapGenerator:\n  - name: cfg\n    literals: [A=1]\nsecretGenerator:\n  - name: sec\n    literals: [TOKEN=abc]\n',
      'deployment.yaml': deployment,
    });

    // Act
    const out = renderKustomization(dir);

    // Assess
    expect(out.map((r) => `${r.kind}/${r.metadata.name}`)).toEqual([
      'Deployment/web',
      'ConfigMap/cfg-89g4tffbfk',
      'Secret/sec-86h6cc7m29',
    ]);
    expect(out[2]).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'sec-86h6cc7m29' },
      data: { TOKEN: 'YWJj' },
      type: 'Opaque',
    });
    const pod = (
      out[0]!.spec as {
        template: { spec: { containers: Array<{ envFrom: unknown }>; volumes: unknown } };
      }
    ).template.spec;
    expect(pod.containers[0]!.envFrom).toEqual([
      { configMapRef: { name: 'cfg-89g4tffbfk' } },
      { secretRef: { name: 'sec-86h6cc7m29' } },
    ]);
    expect(pod.volumes).toEqual([{ name: 'files', configMap: { name: 'cfg-89g4tffbfk' } }]);
  });

  it('wraps long Secret values at 70 base64 characters as kustomize does, and hashes them the same way', () => {
    // Prepare
    const dir = writeTree({
      'kustomization.yaml':
        'secretGenerator:\n  - name: s2\n    literals:\n      - SQL_URL=postgres://fleetstream:fleetstream@postgres.fleetstream.svc.cluster.local:5432/fleetstream\n',
    });

    // Act
    const [secret] = renderKustomization(dir);

    // Assess
    expect(secret!.metadata.name).toBe('s2-9t6htdmgg5');
    expect(secret!.data).toEqual({
      SQL_URL:
        'cG9zdGdyZXM6Ly9mbGVldHN0cmVhbTpmbGVldHN0cmVhbUBwb3N0Z3Jlcy5mbGVldHN0cm\nVhbS5zdmMuY2x1c3Rlci5sb2NhbDo1NDMyL2ZsZWV0c3RyZWFt\n',
    });
  });

  it('applies an overlay: merged generator data, namespace, labels, patches by target and images', () => {
    // Prepare
    const dir = writeTree({
      'base/kustomization.yaml':
        'resources: [deployment.yaml, ns.yaml]\nconfigMapGenerator:\n  - name: cfg\n    literals: [A=1, B=2]\n',
      'base/deployment.yaml': deployment,
      'base/ns.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: prod\n',
      'overlay/kustomization.yaml': [
        'namespace: prod',
        'resources: [../base]',
        'labels:\n  - pairs:\n      team: fleet',
        'configMapGenerator:\n  - name: cfg\n    behavior: merge\n    literals: [B=3]',
        'patches:\n  - path: env.yaml\n    target:\n      kind: Deployment\n      labelSelector: app=web\n  - path: replicas.yaml\n    target:\n      kind: Deployment\n      name: web',
        'images:\n  - name: example/web\n    newName: registry.example.com/web\n    newTag: "2.0"',
      ].join('\n'),
      'overlay/env.yaml':
        'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: any\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          env:\n            - name: B\n              value: "2"\n            - name: A\n              value: "9"\n',
      'overlay/replicas.yaml': '- op: add\n  path: /spec/replicas\n  value: 3\n',
    });

    // Act
    const out = renderKustomization(`${dir}/overlay`);

    // Assess
    const web = out.find((r) => r.kind === 'Deployment')!;
    const cfg = out.find((r) => r.kind === 'ConfigMap')!;
    expect(web.metadata).toEqual({
      name: 'web',
      namespace: 'prod',
      labels: { app: 'web', team: 'fleet' },
    });
    expect(out.find((r) => r.kind === 'Namespace')!.metadata).toEqual({
      name: 'prod',
      labels: { team: 'fleet' },
    });
    expect(cfg.data).toEqual({ A: '1', B: '3' });
    const spec = web.spec as {
      replicas: number;
      template: {
        spec: {
          containers: Array<{
            image: string;
            env: unknown;
            envFrom: Array<{ configMapRef?: { name: string } }>;
          }>;
        };
      };
    };
    expect(spec.replicas).toBe(3);
    expect(spec.template.spec.containers[0]!.image).toBe('registry.example.com/web:2.0');
    expect(spec.template.spec.containers[0]!.env).toEqual([
      { name: 'B', value: '2' },
      { name: 'A', value: '9' },
    ]);
    expect(spec.template.spec.containers[0]!.envFrom[0]!.configMapRef!.name).toBe(
      cfg.metadata.name,
    );
  });

  it.each([
    [
      'a field the renderer does not implement',
      { 'kustomization.yaml': 'commonLabels:\n  a: b\n' },
      'DEPLOY_CHECK_KUSTOMIZE_UNSUPPORTED',
    ],
    [
      'a resource file outside the kustomization folder',
      { 'k/kustomization.yaml': 'resources: [../x.yaml]\n', 'x.yaml': deployment },
      'DEPLOY_CHECK_KUSTOMIZATION_INVALID',
    ],
    [
      'a patch that matches nothing',
      {
        'kustomization.yaml': 'resources: [d.yaml]\npatches:\n  - path: p.yaml\n',
        'd.yaml': deployment,
        'p.yaml':
          'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: other\nspec:\n  replicas: 2\n',
      },
      'DEPLOY_CHECK_PATCH_TARGET_MISSING',
    ],
    [
      'a resource defined twice',
      {
        'kustomization.yaml': 'resources: [d.yaml, e.yaml]\n',
        'd.yaml': deployment,
        'e.yaml': deployment,
      },
      'DEPLOY_CHECK_KUSTOMIZATION_INVALID',
    ],
    [
      'a merge generator without a base',
      {
        'kustomization.yaml':
          'configMapGenerator:\n  - name: cfg\n    behavior: merge\n    literals: [A=1]\n',
      },
      'DEPLOY_CHECK_KUSTOMIZATION_INVALID',
    ],
  ])('fails on %s', (_case, files, code) => {
    const dir = writeTree(files);
    expect(
      codeOf(() => renderKustomization(Object.keys(files)[0]!.startsWith('k/') ? `${dir}/k` : dir)),
    ).toBe(code);
  });
});

describe('strategicMerge', () => {
  it('merges containers by name, adds new env first, replaces plain lists and deletes null keys', () => {
    // Prepare
    const target = {
      spec: {
        containers: [
          { name: 'a', image: 'x', args: ['1', '2'], env: [{ name: 'K', value: '1' }] },
          { name: 'b', image: 'y' },
        ],
        dnsPolicy: 'ClusterFirst',
      },
    };
    const patch = {
      spec: {
        containers: [
          {
            name: 'a',
            args: ['3'],
            env: [
              { name: 'N', value: '2' },
              { name: 'K', value: '9' },
            ],
          },
        ],
        dnsPolicy: null,
      },
    };

    // Act
    const out = strategicMerge(target, patch);

    // Assess
    expect(out).toEqual({
      spec: {
        containers: [
          {
            name: 'a',
            image: 'x',
            args: ['3'],
            env: [
              { name: 'N', value: '2' },
              { name: 'K', value: '9' },
            ],
          },
          { name: 'b', image: 'y' },
        ],
      },
    });
  });

  it('fails with DEPLOY_CHECK_KUSTOMIZE_UNSUPPORTED on a $patch directive', () => {
    expect(codeOf(() => strategicMerge({ a: { b: 1 } }, { a: { $patch: 'replace', b: 2 } }))).toBe(
      'DEPLOY_CHECK_KUSTOMIZE_UNSUPPORTED',
    );
  });
});

describe('applyJsonPatch', () => {
  it('adds, replaces and removes by JSON pointer, "-" appending to a list', () => {
    expect(
      applyJsonPatch({ spec: { triggers: [{ metadata: { a: '1' } }], max: 12, min: 1 } }, [
        { op: 'add', path: '/spec/triggers/0/metadata/b', value: '2' },
        { op: 'add', path: '/spec/triggers/-', value: { metadata: {} } },
        { op: 'replace', path: '/spec/max', value: 3 },
        { op: 'remove', path: '/spec/min' },
      ]),
    ).toEqual({ spec: { triggers: [{ metadata: { a: '1', b: '2' } }, { metadata: {} }], max: 3 } });
  });

  it('fails with DEPLOY_CHECK_PATCH_INVALID when the path does not exist', () => {
    expect(
      codeOf(() => applyJsonPatch({ spec: {} }, [{ op: 'replace', path: '/spec/x', value: 1 }])),
    ).toBe('DEPLOY_CHECK_PATCH_INVALID');
  });
});
