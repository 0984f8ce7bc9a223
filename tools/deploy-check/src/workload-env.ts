import {
  envProblems,
  healthcheckVariables,
  WORKLOAD_CONTRACTS,
  type GivenVariable,
} from './env-contract.ts';
import type { Resource } from './resource.ts';
import { isRecord } from './yaml-files.ts';

interface Container {
  name: string;
  image?: string;
  env?: Array<{ name: string; value?: string; valueFrom?: Record<string, unknown> }>;
  envFrom?: Array<{
    prefix?: string;
    configMapRef?: { name: string };
    secretRef?: { name: string };
  }>;
}

/** The fleetstream workspace an image was built from: `.../fleetstream/<name>:<tag>` -> name. */
export function imageWorkload(image: string | undefined): string | undefined {
  const m = /(?:^|\/)fleetstream\/([a-z0-9-]+)(?::[\w.-]+)?(?:@sha256:[0-9a-f]+)?$/.exec(
    image ?? '',
  );
  return m?.[1];
}

/**
 * The variables one container gets, as kubectl would set them: `env` entries (literal values kept;
 * Secret and field refs have none) and every key of each ConfigMap or Secret its `envFrom` names.
 * An envFrom source that is not among `resources` (an external Secret) cannot be listed: it is a problem.
 */
export function containerEnv(
  container: Container,
  resources: Resource[],
): { given: GivenVariable[]; problems: string[] } {
  const given = new Map<string, GivenVariable>();
  const problems: string[] = [];
  for (const from of container.envFrom ?? []) {
    const ref = from.configMapRef ?? from.secretRef;
    const kind = from.configMapRef ? 'ConfigMap' : 'Secret';
    const source = resources.find((r) => r.kind === kind && r.metadata.name === ref?.name);
    if (!source) {
      problems.push(
        `${container.name}: envFrom ${kind} ${ref?.name} is not rendered, so the variables it sets cannot be checked (name them with secretKeyRef)`,
      );
      continue;
    }
    const data = {
      ...(isRecord(source.data) ? source.data : {}),
      ...(isRecord(source.stringData) ? source.stringData : {}),
    };
    for (const [key, value] of Object.entries(data)) {
      const name = `${from.prefix ?? ''}${key}`;
      given.set(name, { name, value: kind === 'ConfigMap' ? String(value) : undefined });
    }
  }
  for (const e of container.env ?? [])
    given.set(e.name, { name: e.name, value: e.valueFrom ? undefined : (e.value ?? '') });
  return { given: [...given.values()], problems };
}

/**
 * Every fleetstream container of a rendered build (Deployments, StatefulSets, Jobs) against the
 * config schema of its workspace (env-contract.ts): variables nothing reads, required ones missing,
 * literal values their rule rejects. A fleetstream image without a contract is a problem too.
 */
export function k8sEnvProblems(resources: Resource[]): string[] {
  const problems: string[] = [];
  for (const res of resources) {
    const spec =
      isRecord(res.spec) && isRecord(res.spec.template) ? res.spec.template.spec : undefined;
    if (!isRecord(spec)) continue;
    for (const container of [
      ...((spec.containers ?? []) as Container[]),
      ...((spec.initContainers ?? []) as Container[]),
    ]) {
      const workload = imageWorkload(container.image);
      if (!workload) continue;
      const where = `${res.kind}/${res.metadata.name}`;
      const contract = WORKLOAD_CONTRACTS[workload];
      if (!contract) {
        problems.push(`${where}: no config schema is known for the image ${container.image}`);
        continue;
      }
      const env = containerEnv(container, resources);
      problems.push(
        ...env.problems.map((p) => `${where} ${p}`),
        ...envProblems(where, contract, env.given),
      );
    }
  }
  return problems;
}

interface ComposeService {
  build?: { args?: Record<string, string> | string[] };
  environment?: Record<string, string | number | boolean | null> | string[];
}

/** A compose `environment` (map or `KEY=value` list) as variables with their values. */
function composeEnvironment(environment: ComposeService['environment']): GivenVariable[] {
  if (Array.isArray(environment)) {
    return environment.map((entry) => {
      const at = entry.indexOf('=');
      return at < 0 ? { name: entry } : { name: entry.slice(0, at), value: entry.slice(at + 1) };
    });
  }
  return Object.entries(environment ?? {}).map(([name, value]) => ({
    name,
    value: value === null ? undefined : String(value),
  }));
}

/**
 * Every compose service built from a fleetstream workspace (build arg SERVICE) against its config
 * schema, as {@link k8sEnvProblems}; the image's HEALTHCHECK variables are allowed besides. Pass
 * the compose file with its `${VAR:-default}` interpolated (compose-schema.ts, interpolateDefaults).
 */
export function composeEnvProblems(compose: {
  services: Record<string, ComposeService>;
}): string[] {
  const problems: string[] = [];
  const healthcheck = healthcheckVariables();
  for (const [name, service] of Object.entries(compose.services)) {
    const args = service.build?.args;
    const workspace = Array.isArray(args)
      ? args.find((a) => a.startsWith('SERVICE='))?.slice('SERVICE='.length)
      : args?.SERVICE;
    if (!workspace) continue;
    const workload = workspace.split('/').pop()!;
    const contract = WORKLOAD_CONTRACTS[workload];
    if (!contract) {
      problems.push(`${name}: no config schema is known for the workspace ${workspace}`);
      continue;
    }
    problems.push(
      ...envProblems(name, contract, composeEnvironment(service.environment), healthcheck),
    );
  }
  return problems;
}
