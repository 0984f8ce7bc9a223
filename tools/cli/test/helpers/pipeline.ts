import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { brokers } from '@fleetstream/test-kit';

/** The repository's root folder (ends with `/`): services are started as `${repo}services/<name>/src/index.ts`. */
export const repo = fileURLToPath(new URL('../../../../', import.meta.url));
/** The fleetstream command. */
export const BIN = `${repo}tools/cli/bin/fleetstream.js`;
/** Cassandra of this run (the devstack's or CASSANDRA_CONTACT_POINTS). */
export const contactPoints = process.env.CASSANDRA_CONTACT_POINTS ?? '127.0.0.1:19042';

/** The pipeline's topics under a test's own prefix. */
export function pipelineTopics(prefix: string) {
  return { raw: `${prefix}telemetry.raw`, parsed: `${prefix}telemetry.parsed`, enriched: `${prefix}telemetry.enriched`, dlq: `${prefix}telemetry.dlq`, assets: `${prefix}reference.assets` };
}

/** Creates the pipeline's topics under `prefix` and the keyspace with its tables (`fleetstream topology apply`). */
export function applyTopology(prefix: string, keyspace: string): void {
  const topo = spawnSync(process.execPath, [BIN, 'topology', 'apply', '--topic-prefix', prefix], {
    env: { PATH: process.env.PATH, KAFKA_BROKERS: brokers().join(','), CASSANDRA_CONTACT_POINTS: contactPoints, CASSANDRA_KEYSPACE: keyspace },
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (topo.status !== 0) throw new Error(`topology apply failed: ${topo.stderr}`);
}
