import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { stubConfigSchema } from '@fleetstream/asset-api-stub';
import { enrichConfigSchema } from '@fleetstream/enrich';
import { gatewayConfigSchema } from '@fleetstream/gateway';
import { parseConfigSchema } from '@fleetstream/parse';
import { simulatorConfigSchema } from '@fleetstream/simulator';
import { sqlSourceConfigSchema } from '@fleetstream/sql-source/config';
import { cassandraConfigSchema, storeConfigSchema } from '@fleetstream/store/lib';
import { baseConfigShape } from '@fleetstream/stream';
import { collectorConfigSchema } from '@fleetstream/trace-collector';
import { paths } from './paths.ts';

/** What a workload reads from its environment, taken from its zod config schema. */
export interface EnvContract {
  /** Every variable the workload reads. */
  readonly reads: ReadonlySet<string>;
  /** The variables it cannot start without (no default, not optional). */
  readonly required: ReadonlySet<string>;
  /** The variable's own rule applied to a value: undefined when it passes, else the rule. */
  check(variable: string, value: string): string | undefined;
}

type Shape = Record<string, z.ZodType>;

/** The contract of a zod object shape: its keys, those that fail without a value, their rules. */
export function contractOf(shape: Shape): EnvContract {
  const required = Object.keys(shape).filter((k) => !shape[k]!.safeParse(undefined).success);
  return {
    reads: new Set(Object.keys(shape)),
    required: new Set(required),
    check(variable, value) {
      const result = shape[variable]?.safeParse(value);
      return result && !result.success ? result.error.issues[0]!.message : undefined;
    },
  };
}

/**
 * The `topology apply` Job (tools/cli): the Kafka connection of libs/stream's shared config (the
 * CLI loads only its KAFKA_* part), the store's CASSANDRA_* and POSITIONS_TTL_SECONDS (the TTL of
 * the migrations, read from the store's schema so one environment describes both).
 */
const topologyShape: Shape = {
  ...Object.fromEntries(Object.entries(baseConfigShape).filter(([k]) => k.startsWith('KAFKA_'))),
  ...cassandraConfigSchema.shape,
  POSITIONS_TTL_SECONDS: storeConfigSchema.shape.POSITIONS_TTL_SECONDS,
};

/**
 * The contract of each fleetstream workload, by workspace folder name (the image is
 * fleetstream/<name>, the compose build arg SERVICE is <folder>/<name>): its config schema.
 */
export const WORKLOAD_CONTRACTS: Readonly<Record<string, EnvContract>> = {
  gateway: contractOf(gatewayConfigSchema.shape),
  parse: contractOf(parseConfigSchema.shape),
  enrich: contractOf(enrichConfigSchema.shape),
  store: contractOf(storeConfigSchema.shape),
  'sql-source': contractOf(sqlSourceConfigSchema.shape),
  simulator: contractOf(simulatorConfigSchema.shape),
  'asset-api-stub': contractOf(stubConfigSchema.shape),
  'trace-collector': contractOf(collectorConfigSchema.shape),
  cli: contractOf(topologyShape),
};

/**
 * Variables the image's HEALTHCHECK script reads (deploy/docker/healthcheck.mjs, from the script
 * itself): a compose service built from the Dockerfile may set them besides its own.
 */
export function healthcheckVariables(file: string = paths.healthcheckScript): Set<string> {
  return new Set(
    [...readFileSync(file, 'utf8').matchAll(/process\.env\.([A-Z0-9_]+)/g)].map((m) => m[1]!),
  );
}

/** One variable a workload gets: its literal value when known (not for secrets and field refs). */
export interface GivenVariable {
  name: string;
  value?: string;
}

/**
 * The problems of one workload's environment against its contract, as sentences: a variable it
 * gets but does not read, a required one it lacks, a literal value its rule rejects. `extra` are
 * variables read by something else in the container (the image's healthcheck). Empty when fine.
 */
export function envProblems(
  workload: string,
  contract: EnvContract,
  given: GivenVariable[],
  extra: ReadonlySet<string> = new Set(),
): string[] {
  const problems: string[] = [];
  const names = new Set(given.map((g) => g.name));
  for (const { name, value } of given) {
    if (!contract.reads.has(name)) {
      if (!extra.has(name))
        problems.push(`${workload}: gets ${name}, which its config schema does not read`);
      continue;
    }
    const rule = value === undefined ? undefined : contract.check(name, value);
    if (rule) problems.push(`${workload}: ${name}="${value}" ${rule}`);
  }
  for (const name of contract.required) {
    if (!names.has(name))
      problems.push(`${workload}: lacks ${name}, which its config schema requires`);
  }
  return problems;
}
