import { startService } from '@fleetstream/stream';
import { expectSuiteKafkaClient, suiteKafkaClientEnv } from '@fleetstream/test-kit';
import { sqlSourceDefinition } from '../../src/index.ts';
import { brokers } from './kafka.ts';
import { PG_URL } from './postgres.ts';

/** The env of a test source: its own table, topics and source name. */
export function sourceEnv(opts: { table: string; output: string; checkpoint: string; name: string; extra?: Record<string, string> }): Record<string, string> {
  return {
    KAFKA_BROKERS: brokers().join(','),
    ...suiteKafkaClientEnv(),
    HEALTH_PORT: '0',
    LOG_LEVEL: 'error',
    SQL_DIALECT: 'postgres',
    SQL_URL: PG_URL,
    SQL_TABLE: opts.table,
    SQL_TS_COLUMN: 'updated_at',
    SQL_ID_COLUMN: 'id',
    SQL_KEY_COLUMN: 'device_id',
    SQL_DELETED_COLUMN: 'deleted',
    SQL_MODE: 'xid',
    SQL_DELAY_MS: '0',
    POLL_INTERVAL_MS: '100',
    BATCH_ROWS: '1000',
    SOURCE_NAME: opts.name,
    OUTPUT_TOPIC: opts.output,
    CHECKPOINT_TOPIC: opts.checkpoint,
    CHECKPOINT_READ_IDLE_MS: '2000',
    SHUTDOWN_TIMEOUT_MS: '10000',
    ...opts.extra,
  };
}

export async function startSource(env: Record<string, string>) {
  const started = await startService(sqlSourceDefinition, { env, handleSignals: false });
  expectSuiteKafkaClient(started.deps.kafka.name);
  return started;
}

/** Counts of each key's records (to find duplicates and gaps). */
export function countByKey(records: { key: string | null }[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of records) counts.set(r.key ?? '', (counts.get(r.key ?? '') ?? 0) + 1);
  return counts;
}

/** Reads a metric's summed value from a registry's text. */
export async function metricValue(registry: { getSingleMetricAsString(name: string): Promise<string> }, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await registry.getSingleMetricAsString(name);
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(name) && wanted.every((w) => line.includes(w))) sum += Number(line.split(' ').pop());
  return sum;
}
