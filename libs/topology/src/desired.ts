import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { TopologyError } from './errors.ts';

/** One topic as it should be. */
export interface DesiredTopic {
  name: string;
  partitions: number;
  replicationFactor: number;
  /** The full set of dynamic configs the topic should have (alterConfigs replaces, never merges). */
  configs: Record<string, string>;
}

/** One CQL migration file `NNN-name.cql`. */
export interface Migration {
  version: number;
  name: string;
  /** sha256 of the file text before placeholders are filled (so a TTL change is not "drift"). */
  checksum: string;
  text: string;
}

/** The desired state: topics and the Cassandra schema. */
export interface DesiredTopology {
  topics: DesiredTopic[];
  cassandra: {
    keyspace: string;
    replication: Record<string, string | number>;
    positionsTtlSeconds: number;
    migrations: Migration[];
  };
}

/** What may override the file (CLI flags / environment). */
export interface TopologyOverrides {
  topicPrefix?: string;
  keyspace?: string;
  positionsTtlSeconds?: number;
}

interface TopologyFile {
  topicPrefix?: string;
  topicDefaults?: { partitions?: number; replicationFactor?: number; configs?: Record<string, string> };
  topics: { name: string; partitions?: number; replicationFactor?: number; configs?: Record<string, string> }[];
  cassandra: { keyspace?: string; replication?: Record<string, string | number>; positionsTtlSeconds?: number; migrations?: string };
}

const MIGRATION_FILE = /^(\d{3,})-([a-z0-9-]+)\.cql$/;
const IDENTIFIER = /^[A-Za-z][A-Za-z0-9_]{0,47}$/;

const invalid = (message: string) => new TopologyError('TOPOLOGY_INVALID', message);

/** The topology.json of the repository (topology/topology.json). */
export const DEFAULT_TOPOLOGY_FILE = resolve(dirname(new URL(import.meta.url).pathname), '../../../topology/topology.json');

/** Reads the migrations folder: `NNN-name.cql` files in version order (duplicate versions are an error). */
export function readMigrations(dir: string): Migration[] {
  const out: Migration[] = [];
  for (const file of readdirSync(dir).sort()) {
    const m = MIGRATION_FILE.exec(file);
    if (!m) continue;
    const text = readFileSync(join(dir, file), 'utf8');
    out.push({ version: Number(m[1]), name: m[2]!, text, checksum: createHash('sha256').update(text).digest('hex') });
  }
  out.sort((a, b) => a.version - b.version);
  for (let i = 1; i < out.length; i++) {
    if (out[i]!.version === out[i - 1]!.version) throw invalid(`two migrations have version ${out[i]!.version}`);
  }
  return out;
}

/** Loads and checks topology.json; names get `topicPrefix`, defaults fill every topic. */
export function loadTopology(file: string = DEFAULT_TOPOLOGY_FILE, overrides: TopologyOverrides = {}): DesiredTopology {
  let raw: TopologyFile;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8')) as TopologyFile;
  } catch (err) {
    throw new TopologyError('TOPOLOGY_INVALID', `cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  if (!Array.isArray(raw.topics) || typeof raw.cassandra !== 'object') throw invalid(`${file}: needs "topics" and "cassandra"`);
  const prefix = overrides.topicPrefix ?? raw.topicPrefix ?? '';
  const d = raw.topicDefaults ?? {};
  const topics = raw.topics.map((t): DesiredTopic => {
    const topic = {
      name: `${prefix}${t.name}`,
      partitions: t.partitions ?? d.partitions ?? 12,
      replicationFactor: t.replicationFactor ?? d.replicationFactor ?? 1,
      configs: { ...d.configs, ...t.configs },
    };
    if (!/^[A-Za-z0-9._-]{1,249}$/.test(topic.name)) throw invalid(`topic name "${topic.name}" is not a valid Kafka topic name`);
    if (!(Number.isInteger(topic.partitions) && topic.partitions >= 1)) throw invalid(`${topic.name}: partitions must be an integer >= 1`);
    if (!(Number.isInteger(topic.replicationFactor) && topic.replicationFactor >= 1)) throw invalid(`${topic.name}: replicationFactor must be an integer >= 1`);
    return topic;
  });
  const keyspace = overrides.keyspace ?? raw.cassandra.keyspace ?? 'fleetstream';
  if (!IDENTIFIER.test(keyspace)) throw invalid(`keyspace "${keyspace}" is not a Cassandra identifier`);
  const ttl = overrides.positionsTtlSeconds ?? raw.cassandra.positionsTtlSeconds ?? 7_776_000;
  if (!(Number.isInteger(ttl) && ttl >= 0)) throw invalid('positionsTtlSeconds must be an integer >= 0');
  const migrationsDir = resolve(dirname(file), raw.cassandra.migrations ?? 'cql');
  return {
    topics,
    cassandra: {
      keyspace,
      replication: raw.cassandra.replication ?? { class: 'SimpleStrategy', replication_factor: 1 },
      positionsTtlSeconds: ttl,
      migrations: readMigrations(migrationsDir),
    },
  };
}
