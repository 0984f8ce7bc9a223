/**
 * `fleetstream topology plan | apply`: Kafka topics and Cassandra migrations as code.
 *
 *     fleetstream topology plan  [--file topology/topology.json] [--json] [--topic-prefix <p>] [--allow-delete]
 *     fleetstream topology apply [--file topology/topology.json] [--json] [--topic-prefix <p>] [--allow-delete]
 *
 * Environment: KAFKA_BROKERS, CASSANDRA_CONTACT_POINTS (host:port lists), CASSANDRA_KEYSPACE (default:
 * the file's, "fleetstream"), CASSANDRA_LOCAL_DC (default datacenter1), CASSANDRA_USERNAME/PASSWORD,
 * POSITIONS_TTL_SECONDS (default: the file's). Exit codes: 0 done, 1 a failed run, 2 bad input.
 */
import { parseArgs } from 'node:util';
import type { KafkaClient, StreamAdmin } from '@fleetstream/stream';
import { apply, DEFAULT_TOPOLOGY_FILE, describeAction, loadTopology, plan, TopologyError, type DesiredTopology } from '@fleetstream/topology';
import { cassandraFromEnv, kafkaFromEnv } from './connections.ts';
import { formatTable } from './format-table.ts';
import { UsageError } from './errors.ts';

const USAGE = `usage: fleetstream topology plan|apply [--file <topology.json>] [--json] [--topic-prefix <prefix>] [--allow-delete]
  plan              print what apply would change (create topic, add partitions, change a config, apply migration N)
  apply             make the changes; a second apply changes nothing
  --file            the topology file (default topology/topology.json of the repository)
  --topic-prefix    prefix every topic name (test clusters, side-by-side environments)
  --allow-delete    also delete topics of the topology's families that the file no longer lists
  --json            print JSON instead of a table
environment: KAFKA_BROKERS (+ KAFKA_SSL*, KAFKA_SASL_* as the services read them), CASSANDRA_CONTACT_POINTS,
  CASSANDRA_KEYSPACE, CASSANDRA_LOCAL_DC (+ CASSANDRA_USERNAME/PASSWORD, CASSANDRA_SSL*), POSITIONS_TTL_SECONDS`;


function loadDesired(file: string | undefined, topicPrefix: string | undefined): DesiredTopology {
  const ttl = process.env.POSITIONS_TTL_SECONDS?.trim();
  if (ttl !== undefined && ttl !== '' && !/^\d+$/.test(ttl)) throw new UsageError('POSITIONS_TTL_SECONDS must be an integer >= 0');
  try {
    return loadTopology(file ?? DEFAULT_TOPOLOGY_FILE, {
      topicPrefix,
      keyspace: process.env.CASSANDRA_KEYSPACE?.trim() || undefined,
      positionsTtlSeconds: ttl ? Number(ttl) : undefined,
    });
  } catch (err) {
    if (err instanceof TopologyError) throw new UsageError(err.message);
    throw err;
  }
}

/** Entry of the verb; returns the exit code. */
export async function runTopology(args: string[]): Promise<number> {
  let sub: string | undefined;
  let values: { file?: string; json?: boolean; 'topic-prefix'?: string; 'allow-delete'?: boolean; help?: boolean };
  let desired: DesiredTopology;
  let kafka: KafkaClient;
  let cassandra: ReturnType<typeof cassandraFromEnv>;
  try {
    const parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { file: { type: 'string' }, json: { type: 'boolean' }, 'topic-prefix': { type: 'string' }, 'allow-delete': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
    values = parsed.values;
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    sub = parsed.positionals[0];
    if ((sub !== 'plan' && sub !== 'apply') || parsed.positionals.length > 1) throw new UsageError(`expected plan or apply, got ${parsed.positionals.join(' ') || '(nothing)'}`);
    desired = loadDesired(values.file, values['topic-prefix']);
    kafka = kafkaFromEnv();
    cassandra = cassandraFromEnv();
  } catch (err) {
    process.stderr.write(`fleetstream topology: ${err instanceof Error ? err.message : String(err)}\n${USAGE}\n`);
    return 2;
  }

  const admin: StreamAdmin = kafka.admin();
  try {
    await admin.connect();
    await cassandra.connect();
    const clients = { admin, cassandra };
    const options = { allowDelete: values['allow-delete'] === true, topicPrefix: values['topic-prefix'] };
    const p = await plan(desired, clients, options);
    for (const w of p.warnings) process.stderr.write(`warning: ${w}\n`);
    if (sub === 'plan') {
      if (values.json) process.stdout.write(`${JSON.stringify(p)}\n`);
      else if (p.actions.length === 0) process.stdout.write('no changes: the cluster matches the topology\n');
      else {
        const rows = p.actions.map(describeAction).map((d) => [d.action, d.target, d.detail]);
        process.stdout.write(formatTable(['ACTION', 'TARGET', 'DETAIL'], rows));
        process.stdout.write(`${p.actions.length} change(s); run \`fleetstream topology apply\` to make them\n`);
      }
      return 0;
    }
    const done: string[][] = [];
    await apply(p.actions, desired, clients, {
      allowDelete: options.allowDelete,
      onAction: (a) => {
        const d = describeAction(a);
        done.push([d.action, d.target, d.detail]);
        if (!values.json) process.stdout.write(`done  ${d.action}  ${d.target}\n`);
      },
    });
    if (values.json) process.stdout.write(`${JSON.stringify({ applied: p.actions, warnings: p.warnings })}\n`);
    else process.stdout.write(done.length === 0 ? 'no changes: the cluster matches the topology\n' : `applied ${done.length} change(s)\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`fleetstream topology ${sub}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  } finally {
    await admin.disconnect().catch(() => undefined);
    await cassandra.shutdown().catch(() => undefined);
  }
}
