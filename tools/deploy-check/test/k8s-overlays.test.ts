import { describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { validateResource } from '../src/k8s-schemas.ts';
import { kubectlKustomize } from '../src/kubectl.ts';
import type { Resource } from '../src/resource.ts';
import { paths } from '../src/paths.ts';
import {
  appEnv,
  byKind,
  find,
  podTemplate,
  selects,
  topicPartitions,
  type Container,
} from './helpers/rendered.ts';

const builds = ['base', 'overlays/local', 'overlays/production'] as const;
const overlays = ['overlays/local', 'overlays/production'] as const;
// Rendered by kubectl's kustomize, as `kubectl apply -k` would see them.
const rendered = Object.fromEntries(
  builds.map((b) => [b, kubectlKustomize(join(paths.k8s, b))]),
) as Record<(typeof builds)[number], Resource[]>;

/** Secrets production expects to be created outside git (deploy/README.md lists their keys). */
const EXTERNAL_SECRETS = [
  'fleetstream-secrets',
  'fleetstream-kafka-sasl',
  'fleetstream-kafka-ca',
  'fleetstream-cassandra-credentials',
];
const STREAM_SERVICES = ['gateway', 'parse', 'enrich', 'store', 'sql-source'];
const CONSUMERS = {
  parse: 'telemetry.raw',
  enrich: 'telemetry.parsed',
  store: 'telemetry.enriched',
} as const;

/** The service host's drain deadline plus the 2 s after which it exits by itself (libs/stream). */
const FORCED_EXIT_MS = 2_000;
const appContainer = (res: Resource) =>
  podTemplate(res)!.spec.containers.find((c) => c.name === 'app')!;
const envValue = (c: Container, name: string) => c.env?.find((e) => e.name === name)?.value;

describe.each(builds)('kustomize build of k8s/%s', (build) => {
  const resources = rendered[build];

  it('passes the Kubernetes, KEDA and Prometheus Operator schemas, object by object', async () => {
    // Act
    const problems = (await Promise.all(resources.map(validateResource))).flat();

    // Assess
    expect(resources.length).toBeGreaterThan(15);
    expect(problems).toEqual([]);
  });

  it('defines every object once', () => {
    const ids = resources.map((r) => `${r.kind}/${r.metadata.namespace ?? ''}/${r.metadata.name}`);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
  });
});

describe('validateResource', () => {
  it('reports a wrong field type and an apiVersion it has no schema for (the check is live)', async () => {
    // Prepare
    const parse = structuredClone(find(rendered['overlays/local'], 'Deployment', 'parse')!);
    (
      podTemplate(parse)!.spec.containers[0]!.ports![0] as { containerPort: unknown }
    ).containerPort = 'health';

    // Act
    const problems = [
      ...(await validateResource(parse)),
      ...(await validateResource({
        apiVersion: 'example.com/v1',
        kind: 'Thing',
        metadata: { name: 'x' },
      })),
    ];

    // Assess
    expect(problems).toEqual([
      'Deployment parse: data/spec/template/spec/containers/0/ports/0/containerPort must be integer',
      'Thing x: apiVersion example.com/v1 has no schema here',
    ]);
  });
});

describe.each(overlays)('k8s/%s', (overlay) => {
  const resources = rendered[overlay];
  const workloads = resources.filter((r) => podTemplate(r));

  it.each(STREAM_SERVICES)(
    'runs %s with probes on the health port, resources, a preStop sleep and a grace period past it plus the drain deadline',
    (name) => {
      // Prepare
      const deployment = find(resources, 'Deployment', name)!;
      const pod = podTemplate(deployment)!.spec;
      const app = appContainer(deployment);
      const env = appEnv(resources, deployment);
      const healthPort = app.ports?.find((p) => p.name === 'health')?.containerPort;
      const preStopMs = (app.lifecycle?.preStop?.sleep?.seconds ?? 0) * 1000;

      // Assess
      expect(healthPort).toBe(Number(env.HEALTH_PORT));
      expect(app.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'health' });
      expect(app.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'health' });
      expect(app.startupProbe?.httpGet).toEqual({ path: '/healthz', port: 'health' });
      expect(Object.keys(app.resources?.requests ?? {}).sort()).toEqual(['cpu', 'memory']);
      expect(app.resources?.limits?.memory).toEqual(expect.any(String));
      expect(preStopMs).toBeGreaterThanOrEqual(3000);
      expect((pod.terminationGracePeriodSeconds ?? 30) * 1000).toBeGreaterThan(
        preStopMs + Number(env.SHUTDOWN_TIMEOUT_MS) + FORCED_EXIT_MS,
      );
      expect(pod.securityContext).toEqual(expect.objectContaining({ runAsNonRoot: true }));
      expect(find(resources, 'ServiceAccount', pod.serviceAccountName ?? 'default')).toBeDefined();
    },
  );

  it.each(STREAM_SERVICES)(
    'covers %s with a PodDisruptionBudget and a metrics Service the ServiceMonitor selects',
    (name) => {
      // Prepare
      const labels = podTemplate(find(resources, 'Deployment', name)!)!.metadata?.labels;
      const pdbs = byKind(resources, 'PodDisruptionBudget').filter((p) =>
        selects(
          (p.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels,
          labels,
        ),
      );
      const monitor = find(resources, 'ServiceMonitor', 'fleetstream')!.spec as {
        selector: { matchLabels: Record<string, string> };
        endpoints: Array<{ port: string }>;
      };
      const metrics = byKind(resources, 'Service').filter(
        (s) =>
          selects((s.spec as { selector: Record<string, string> }).selector, labels) &&
          selects(monitor.selector.matchLabels, s.metadata.labels),
      );

      // Assess
      expect(pdbs.map((p) => p.metadata.name)).toEqual([name]);
      expect(metrics.map((s) => s.metadata.name)).toEqual([`${name}-metrics`]);
      expect((metrics[0]!.spec as { ports: Array<{ name: string; port: number }> }).ports).toEqual([
        { name: monitor.endpoints[0]!.port, port: 9464, targetPort: 'health', protocol: 'TCP' },
      ]);
    },
  );

  it.each(Object.entries(CONSUMERS))(
    'scales %s on the lag of its own consumer group on %s, up to the partition count',
    (name, topic) => {
      // Prepare
      const scaled = find(resources, 'ScaledObject', name)!.spec as {
        scaleTargetRef: { name: string };
        maxReplicaCount: number;
        triggers: Array<{
          type: string;
          metadata: Record<string, string>;
          authenticationRef?: { name: string };
        }>;
      };
      const [trigger] = scaled.triggers;
      const deployment = find(resources, 'Deployment', scaled.scaleTargetRef.name)!;
      const env = appEnv(resources, deployment);

      // Assess
      expect(scaled.scaleTargetRef.name).toBe(name);
      expect(scaled.maxReplicaCount).toBeLessThanOrEqual(topicPartitions(topic));
      expect(trigger!.type).toBe('kafka');
      expect(trigger!.metadata.topic).toBe(topic);
      expect(trigger!.metadata.consumerGroup).toBe(env.CONSUMER_GROUP);
      expect(trigger!.metadata.bootstrapServersFromEnv).toBe('KAFKA_BROKERS');
      expect(env.KAFKA_BROKERS).toMatch(/:\d+/);
      if (trigger!.authenticationRef)
        expect(
          find(resources, 'TriggerAuthentication', trigger!.authenticationRef.name),
        ).toBeDefined();
    },
  );

  it('refers only to ConfigMaps and Secrets it renders, or in production to the documented external Secrets', () => {
    // Prepare
    const names = (kind: string) => new Set(byKind(resources, kind).map((r) => r.metadata.name));
    const external = overlay === 'overlays/production' ? EXTERNAL_SECRETS : [];
    const missing: string[] = [];

    // Act
    for (const w of workloads) {
      const pod = podTemplate(w)!.spec;
      for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) {
        for (const from of c.envFrom ?? []) {
          if (from.configMapRef && !names('ConfigMap').has(from.configMapRef.name))
            missing.push(`${w.metadata.name}: ConfigMap ${from.configMapRef.name}`);
          if (
            from.secretRef &&
            !names('Secret').has(from.secretRef.name) &&
            !external.includes(from.secretRef.name)
          )
            missing.push(`${w.metadata.name}: Secret ${from.secretRef.name}`);
        }
        for (const e of c.env ?? []) {
          const ref = e.valueFrom?.secretKeyRef ?? e.valueFrom?.configMapKeyRef;
          const kind = e.valueFrom?.secretKeyRef ? 'Secret' : 'ConfigMap';
          if (
            ref &&
            !names(kind).has(ref.name!) &&
            !(kind === 'Secret' && external.includes(ref.name!))
          )
            missing.push(`${w.metadata.name}: ${kind} ${ref.name}`);
        }
      }
      for (const v of pod.volumes ?? []) {
        if (v.configMap && !names('ConfigMap').has(v.configMap.name))
          missing.push(`${w.metadata.name}: ConfigMap ${v.configMap.name}`);
        if (
          v.secret &&
          !names('Secret').has(v.secret.secretName) &&
          !external.includes(v.secret.secretName)
        )
          missing.push(`${w.metadata.name}: Secret ${v.secret.secretName}`);
      }
    }

    // Assess
    expect(missing).toEqual([]);
  });

  it('selects pods of a workload with every Service and PodDisruptionBudget', () => {
    const podLabels = workloads.map((w) => podTemplate(w)!.metadata?.labels);
    const orphans = [
      ...byKind(resources, 'Service').filter(
        (s) =>
          !podLabels.some((l) =>
            selects((s.spec as { selector: Record<string, string> }).selector, l),
          ),
      ),
      ...byKind(resources, 'PodDisruptionBudget').filter(
        (p) =>
          !podLabels.some((l) =>
            selects(
              (p.spec as { selector: { matchLabels: Record<string, string> } }).selector
                .matchLabels,
              l,
            ),
          ),
      ),
    ].map((r) => `${r.kind}/${r.metadata.name}`);
    expect(orphans).toEqual([]);
  });

  it('exposes the gateway TCP and HTTP ports through a LoadBalancer Service on named container ports', () => {
    // Prepare
    const service = find(resources, 'Service', 'gateway')!.spec as {
      type: string;
      ports: Array<{ port: number; targetPort: string }>;
    };
    const gateway = find(resources, 'Deployment', 'gateway')!;
    const ports = appContainer(gateway).ports ?? [];
    const env = appEnv(resources, gateway);

    // Assess
    expect(service.type).toBe('LoadBalancer');
    expect(
      service.ports.map((p) => [p.port, ports.find((c) => c.name === p.targetPort)?.containerPort]),
    ).toEqual([
      [Number(env.GATEWAY_TCP_PORT), Number(env.GATEWAY_TCP_PORT)],
      [Number(env.GATEWAY_HTTP_PORT), Number(env.GATEWAY_HTTP_PORT)],
    ]);
  });

  it('applies the topology with the operator command, in a Job named after its image tag', () => {
    // Prepare
    const [job] = byKind(resources, 'Job');
    const app = appContainer(job!) as Container & {
      command: string[];
      args: string[];
      workingDir: string;
    };

    // Assess
    expect([...app.command, ...app.args]).toEqual([
      'node',
      '--conditions=production',
      'tools/cli/bin/fleetstream.js',
      'topology',
      'apply',
    ]);
    expect(app.workingDir).toBe('/app');
    expect(app.image).toMatch(/fleetstream\/cli:/);
    expect(job!.metadata.name).toBe(`topology-apply-${app.image!.split(':').pop()}`);
  });

  it('pins every container image to a tag', () => {
    const images = workloads.flatMap((w) =>
      podTemplate(w)!.spec.containers.map((c) => c.image ?? ''),
    );
    expect(images.filter((i) => !/:[\w][\w.-]*$/.test(i) || i.endsWith(':latest'))).toEqual([]);
  });
});

describe('k8s/overlays/local', () => {
  const resources = rendered['overlays/local'];

  it.each([
    ['parse', 'KAFKA_BROKERS', 'kafka'],
    ['store', 'CASSANDRA_CONTACT_POINTS', 'cassandra'],
    ['enrich', 'ASSET_API_URL', 'asset-api-stub'],
    ['simulator', 'SIM_TCP', 'gateway'],
    ['simulator', 'SIM_HTTP', 'gateway'],
  ])(
    'gives %s %s pointing at the in-cluster Service %s by its fully qualified name (KEDA resolves it from another namespace)',
    (workload, variable, service) => {
      const value = appEnv(resources, find(resources, 'Deployment', workload)!)[variable]!;
      const host = /^(?:[a-z]+:\/\/)?([^:/]+)/.exec(value)![1];
      expect(host).toBe(`${service}.fleetstream.svc.cluster.local`);
      expect(find(resources, 'Service', service)?.metadata.namespace).toBe('fleetstream');
    },
  );

  it('runs Kafka advertising the address the services use', () => {
    const kafka = podTemplate(find(resources, 'StatefulSet', 'kafka')!)!.spec.containers[0]!;
    expect(envValue(kafka, 'KAFKA_ADVERTISED_LISTENERS')).toBe(
      `PLAINTEXT://${appEnv(resources, find(resources, 'Deployment', 'parse')!).KAFKA_BROKERS}`,
    );
    expect(Buffer.from(envValue(kafka, 'CLUSTER_ID')!, 'base64url')).toHaveLength(16);
  });

  it('uses the :dev images a local docker build tags', () => {
    const images = resources
      .filter((r) => podTemplate(r))
      .flatMap((w) => podTemplate(w)!.spec.containers.map((c) => c.image ?? ''));
    expect(images.filter((i) => i.startsWith('fleetstream/') && !i.endsWith(':dev'))).toEqual([]);
  });
});

describe('k8s/overlays/production', () => {
  const resources = rendered['overlays/production'];

  it('keeps credentials out of git: no Secret is rendered and SASL/TLS and Cassandra credentials come from Secrets', () => {
    // Prepare
    const store = appContainer(find(resources, 'Deployment', 'store')!);
    const parse = appContainer(find(resources, 'Deployment', 'parse')!);
    const config = appEnv(resources, find(resources, 'Deployment', 'parse')!);
    const secretRef = (c: Container, name: string) =>
      c.env?.find((e) => e.name === name)?.valueFrom?.secretKeyRef?.name;

    // Assess
    expect(byKind(resources, 'Secret')).toEqual([]);
    expect([config.KAFKA_SSL, config.KAFKA_SASL_MECHANISM]).toEqual(['true', 'scram-sha-512']);
    expect([
      secretRef(parse, 'KAFKA_SASL_USERNAME'),
      secretRef(parse, 'KAFKA_SASL_PASSWORD'),
    ]).toEqual(['fleetstream-kafka-sasl', 'fleetstream-kafka-sasl']);
    expect([
      secretRef(store, 'CASSANDRA_USERNAME'),
      secretRef(store, 'CASSANDRA_PASSWORD'),
    ]).toEqual(['fleetstream-cassandra-credentials', 'fleetstream-cassandra-credentials']);
    expect(secretRef(parse, 'CASSANDRA_PASSWORD')).toBeUndefined();
    expect(
      parse.volumeMounts?.find((m) => config.KAFKA_SSL_CA_FILE!.startsWith(`${m.mountPath}/`))
        ?.name,
    ).toBe('kafka-ca');
  });

  it('reads lag over SASL_SSL in every ScaledObject', () => {
    const triggers = byKind(resources, 'ScaledObject').map(
      (s) =>
        (
          s.spec as {
            triggers: Array<{
              metadata: Record<string, string>;
              authenticationRef?: { name: string };
            }>;
          }
        ).triggers[0]!,
    );
    expect(
      triggers.map((t) => [t.metadata.sasl, t.metadata.tls, t.authenticationRef?.name]),
    ).toEqual(Array(3).fill(['scram_sha512', 'enable', 'fleetstream-kafka-auth']));
  });

  it('deploys no in-cluster Kafka, Cassandra, database, stub or simulator', () => {
    expect(
      resources
        .filter((r) => podTemplate(r))
        .map((r) => r.metadata.name)
        .sort(),
    ).toEqual([...STREAM_SERVICES, 'topology-apply-0.1.0'].sort());
  });
});
