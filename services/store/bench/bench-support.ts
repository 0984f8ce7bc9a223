/**
 * What the store benches share: the servers, fresh topics and keyspaces, enriched events, a
 * partition-pinned producer and an in-process store.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import kafkajs from 'kafkajs';
import type cassandra from 'cassandra-driver';
import type { Registry } from 'prom-client';
import { startService } from '@fleetstream/stream';
import { uuidFromKey } from '@fleetstream/telemetry';
import { createCassandraClient } from '../src/cassandra-client.ts';
import { storeDefinition } from '../src/index.ts';
import { createStoreService } from '../src/service.ts';
import { apply, loadTopology, plan } from '@fleetstream/topology';
import { createKafkajsClient } from '@fleetstream/stream';

export const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
export const contactPoints = (process.env.CASSANDRA_CONTACT_POINTS ?? '127.0.0.1:19042').split(',');
export const quick = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
export const PARTITIONS = 4;
export const DEVICES = 1_000;
export const id = () => randomUUID().replace(/-/g, '').slice(0, 10);
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export const kafka = new kafkajs.Kafka({ clientId: 'store-bench', brokers, logLevel: kafkajs.logLevel.NOTHING });

export const cassandraClient = () => createCassandraClient({ contactPoints, localDataCenter: process.env.CASSANDRA_LOCAL_DC ?? 'datacenter1' });

export async function createTopics(names: string[], partitions = PARTITIONS): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: names.map((topic) => ({ topic, numPartitions: partitions })), waitForLeaders: true });
  await admin.disconnect();
}

/** A fresh keyspace with the topology's migrations (no topics). */
export async function freshKeyspace(client: cassandra.Client): Promise<string> {
  const desired = loadTopology(undefined, { keyspace: `store_bench_${id()}`, positionsTtlSeconds: 86_400 });
  desired.topics = [];
  const admin = createKafkajsClient({ brokers, clientId: 'store-bench' }).admin();
  await admin.connect();
  try {
    await apply((await plan(desired, { admin, cassandra: client })).actions, desired, { admin, cassandra: client });
  } finally {
    await admin.disconnect();
  }
  return desired.cassandra.keyspace;
}

const BASE_TIME = Date.UTC(2024, 5, 10, 8, 0, 0);

/**
 * Event i of a bench: device i % devices, one event per device every 10 s (about 430 bytes of
 * JSON). Fewer devices put more events of a device in one chunk, so more rows per batch.
 */
export function benchEvent(i: number, devices = DEVICES): { deviceId: string; partition: number; event: Record<string, unknown> } {
  const d = i % devices;
  const deviceId = `35630704${String(2_440_000 + d).padStart(7, '0')}`;
  const eventTime = BASE_TIME + Math.floor(i / devices) * 10_000;
  return {
    deviceId,
    partition: d % PARTITIONS,
    event: {
      schemaVersion: 1,
      eventId: uuidFromKey(`${deviceId}-${eventTime}`, 0),
      deviceId,
      eventTime,
      receivedAt: eventTime + 1_200,
      position: { lat: 54.6 + (i % 1000) / 1e4, lon: 25.2 + (i % 777) / 1e4, altitude: 120, heading: i % 360, speed: i % 90, satellites: 9 },
      priority: 0,
      eventIoId: 0,
      io: { '239': 1, '240': 1, '66': 12_800, '16': i },
      ignition: true,
      movement: true,
      externalVoltage: 12.8,
      asset: { assetId: `asset-${d}`, customerId: `cust-${d % 20}`, model: 'FMB920', owner: 'ops', tags: ['truck'] },
      enrichment: 'ok',
    },
  };
}

/**
 * Produces events [from, to) to `topic`, device d always to partition d % PARTITIONS (so a bench
 * knows which events share a consumer chunk), acks=all, 4 requests in flight.
 */
export async function produceEvents(topic: string, from: number, to: number, batch = 5_000, devices = DEVICES): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 5 });
  await producer.connect();
  const sends: Promise<unknown>[] = [];
  for (let i = from; i < to; i += batch) {
    const messages = [];
    for (let j = i; j < Math.min(to, i + batch); j++) {
      const e = benchEvent(j, devices);
      messages.push({ key: e.deviceId, value: JSON.stringify(e.event), partition: e.partition });
    }
    sends.push(producer.send({ topic, acks: -1, messages }));
    if (sends.length >= 4) await sends.shift();
  }
  await Promise.all(sends);
  await producer.disconnect();
}

/**
 * The real store, in this process, on a free health port; with `client`, the store writes through
 * that Cassandra client (which the caller then shuts down) instead of its own.
 */
export async function startStore(env: { keyspace: string; input: string; dlq: string; group: string; extra?: Record<string, string>; client?: cassandra.Client }) {
  const { client } = env;
  const definition = client ? { ...storeDefinition, create: (deps: Parameters<typeof storeDefinition.create>[0]) => createStoreService(deps, { client }) } : storeDefinition;
  return startService(definition, {
    env: {
      KAFKA_BROKERS: brokers.join(','),
      CASSANDRA_CONTACT_POINTS: contactPoints.join(','),
      CASSANDRA_KEYSPACE: env.keyspace,
      INPUT_TOPIC: env.input,
      DLQ_TOPIC: env.dlq,
      CONSUMER_GROUP: env.group,
      HEALTH_PORT: '0',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      ...env.extra,
    },
    handleSignals: false,
  });
}

/** Sum of a metric's values (over all label sets) in a registry; 0 when absent. */
export async function metricSum(registry: Registry, name: string): Promise<number> {
  const m = registry.getSingleMetric(name);
  if (!m) return 0;
  const { values } = await m.get();
  return values.filter((v) => !('metricName' in v) || v.metricName === name).reduce((s, v) => s + v.value, 0);
}

/** Committed offsets of a group vs the topic's ends: the records still to be committed. */
export async function committedLag(admin: kafkajs.Admin, group: string, topic: string): Promise<number> {
  const [ends, committed] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId: group, topics: [topic] })]);
  const done = new Map(committed[0]!.partitions.map((p) => [p.partition, Number(p.offset)]));
  return ends.reduce((s, e) => s + Number(e.high) - Math.max(0, done.get(e.partition) ?? 0), 0);
}

export async function dropKeyspace(client: cassandra.Client, keyspace: string): Promise<void> {
  await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`, [], { prepare: false, readTimeout: 60_000 }).catch(() => undefined);
}

/** Sum and count of a histogram (over all label sets) in a registry; zeros when absent. */
export async function histogramSumCount(registry: Registry, name: string): Promise<{ sum: number; count: number }> {
  const m = registry.getSingleMetric(name);
  if (!m) return { sum: 0, count: 0 };
  const { values } = await m.get();
  const total = (suffix: string) => values.filter((v) => 'metricName' in v && v.metricName === `${name}${suffix}`).reduce((s, v) => s + v.value, 0);
  return { sum: total('_sum'), count: total('_count') };
}

/** CPU used between {@link cpuMeter} and its `stop()`. */
export interface CpuUse {
  /** The whole host busy, % of all its cores (100 = every core busy all the time). */
  hostBusyPct: number;
  /** This process, % of one core. */
  benchPct: number;
  cores: number;
}

function hostTicks(): { busy: number; total: number; cores: number } {
  const lines = readFileSync('/proc/stat', 'utf8').split('\n');
  // cpu  user nice system idle iowait irq softirq steal ...
  const f = lines[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  return { busy: total - idle, total, cores: lines.filter((l) => /^cpu\d/.test(l)).length };
}

/** Starts measuring the host's and this process's CPU (Linux /proc/stat; zeros elsewhere). */
export function cpuMeter(): { stop(): CpuUse } {
  const t0 = performance.now();
  const u0 = process.cpuUsage();
  let h0: ReturnType<typeof hostTicks> | undefined;
  try {
    h0 = hostTicks();
  } catch {
    h0 = undefined;
  }
  return {
    stop() {
      const wallUs = (performance.now() - t0) * 1000;
      const u = process.cpuUsage(u0);
      const benchPct = Math.round(((u.user + u.system) / wallUs) * 100);
      if (!h0) return { hostBusyPct: 0, benchPct, cores: 0 };
      const h1 = hostTicks();
      return { hostBusyPct: Math.round(((h1.busy - h0.busy) / Math.max(1, h1.total - h0.total)) * 100), benchPct, cores: h1.cores };
    },
  };
}
