import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isRecord } from '../../src/yaml-files.ts';
import { paths } from '../../src/paths.ts';
import type { Resource } from '../../src/resource.ts';
import { containerEnv } from '../../src/workload-env.ts';

export type Container = {
  name: string;
  image?: string;
  env?: Array<{
    name: string;
    value?: string;
    valueFrom?: Record<string, { name?: string; key?: string }>;
  }>;
  envFrom?: Array<{
    configMapRef?: { name: string; optional?: boolean };
    secretRef?: { name: string; optional?: boolean };
  }>;
  ports?: Array<{ name?: string; containerPort: number }>;
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  startupProbe?: { httpGet?: { path: string; port: string | number } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  volumeMounts?: Array<{ name: string; mountPath: string }>;
  lifecycle?: Lifecycle;
};

export type Lifecycle = { preStop?: { sleep?: { seconds: number }; exec?: { command: string[] } } };

export type PodSpec = {
  containers: Container[];
  initContainers?: Container[];
  volumes?: Array<{ name: string; configMap?: { name: string }; secret?: { secretName: string } }>;
  terminationGracePeriodSeconds?: number;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  serviceAccountName?: string;
};

/** The pod template of a workload (Deployment, StatefulSet, Job), or undefined. */
export function podTemplate(
  res: Resource,
): { metadata?: { labels?: Record<string, string> }; spec: PodSpec } | undefined {
  const spec = res.spec;
  if (!isRecord(spec) || !isRecord(spec.template)) return undefined;
  return spec.template as { metadata?: { labels?: Record<string, string> }; spec: PodSpec };
}

export const byKind = (resources: Resource[], kind: string) =>
  resources.filter((r) => r.kind === kind);

export const find = (resources: Resource[], kind: string, name: string) =>
  resources.find((r) => r.kind === kind && r.metadata.name === name);

/** Does a label selector (matchLabels or a Service's plain map) select these labels? */
export function selects(
  selector: Record<string, string> | undefined,
  labels: Record<string, string> | undefined,
): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

/**
 * Partitions of a topic as topology/topology.json declares them (the topic's own `partitions`, else
 * `topicDefaults.partitions`); 12, the planned count, while the file does not exist yet.
 */
export function topicPartitions(topic: string): number {
  if (!existsSync(paths.topology)) return 12;
  const doc = JSON.parse(readFileSync(paths.topology, 'utf8')) as {
    topicPrefix?: string;
    topicDefaults?: { partitions?: number };
    topics?: Array<{ name: string; partitions?: number }>;
  };
  const entry = doc.topics?.find(
    (t) => `${doc.topicPrefix ?? ''}${t.name}` === topic || t.name === topic,
  );
  const partitions = entry ? (entry.partitions ?? doc.topicDefaults?.partitions) : undefined;
  if (typeof partitions !== 'number')
    throw new Error(
      `topic ${topic} has no partition count in ${join('topology', 'topology.json')}`,
    );
  return partitions;
}

/**
 * The environment the `app` container of a workload gets (env and every envFrom ConfigMap key),
 * name -> literal value (undefined for Secret and field refs).
 */
export function appEnv(
  resources: Resource[],
  workload: Resource,
): Record<string, string | undefined> {
  const app = podTemplate(workload)!.spec.containers.find((c) => c.name === 'app')!;
  const { given } = containerEnv(app as Parameters<typeof containerEnv>[0], resources);
  return Object.fromEntries(given.map((g) => [g.name, g.value]));
}
