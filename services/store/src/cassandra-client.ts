import { readFileSync } from 'node:fs';
import cassandra from 'cassandra-driver';
import { ConfigError } from '@fleetstream/stream';
import type { StoreConfig } from './config.ts';

/** How to reach Cassandra (CASSANDRA_* variables). */
export interface CassandraConnection {
  /** host:port (or host) entries. */
  contactPoints: string[];
  localDataCenter: string;
  keyspace?: string;
  username?: string;
  password?: string;
  /** TLS on the native port: true trusts the system CAs; `ca` (PEM) trusts a private CA as well. */
  ssl?: boolean | { ca?: string[]; rejectUnauthorized?: boolean };
}

/**
 * The connection described by the store's config (CASSANDRA_*): credentials and TLS. Rules the
 * schema cannot see field by field fail as ConfigErrors naming the variable (a username needs a
 * password and the reverse; a CA file must be readable and needs CASSANDRA_SSL=true). The
 * password never appears in a message. No session keyspace: the store names it in each statement.
 */
export function cassandraConnection(
  config: Pick<StoreConfig, 'CASSANDRA_CONTACT_POINTS' | 'CASSANDRA_LOCAL_DC' | 'CASSANDRA_USERNAME' | 'CASSANDRA_PASSWORD' | 'CASSANDRA_SSL' | 'CASSANDRA_SSL_CA_FILE'>,
): CassandraConnection {
  if (config.CASSANDRA_USERNAME && !config.CASSANDRA_PASSWORD) throw new ConfigError('CASSANDRA_PASSWORD', 'is required when CASSANDRA_USERNAME is set');
  if (config.CASSANDRA_PASSWORD && !config.CASSANDRA_USERNAME) throw new ConfigError('CASSANDRA_USERNAME', 'is required when CASSANDRA_PASSWORD is set');
  if (config.CASSANDRA_SSL_CA_FILE && !config.CASSANDRA_SSL) throw new ConfigError('CASSANDRA_SSL_CA_FILE', 'is set but CASSANDRA_SSL is false (set CASSANDRA_SSL=true)');
  let ssl: CassandraConnection['ssl'] = config.CASSANDRA_SSL;
  if (config.CASSANDRA_SSL && config.CASSANDRA_SSL_CA_FILE) {
    let pem: string;
    try {
      pem = readFileSync(config.CASSANDRA_SSL_CA_FILE, 'utf8');
    } catch (err) {
      throw new ConfigError('CASSANDRA_SSL_CA_FILE', `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}: ${config.CASSANDRA_SSL_CA_FILE})`);
    }
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new ConfigError('CASSANDRA_SSL_CA_FILE', `must be a PEM certificate file (${config.CASSANDRA_SSL_CA_FILE})`);
    ssl = { ca: [pem] };
  }
  return {
    contactPoints: config.CASSANDRA_CONTACT_POINTS,
    localDataCenter: config.CASSANDRA_LOCAL_DC,
    username: config.CASSANDRA_USERNAME,
    password: config.CASSANDRA_PASSWORD,
    ssl,
  };
}

/**
 * A cassandra-driver client with token-aware routing: the driver's default load-balancing policy
 * is TokenAware(DCAwareRoundRobin(localDataCenter)), so a prepared statement goes straight to a
 * replica of its partition. Contact points may carry a port (they must share it).
 */
export function createCassandraClient(c: CassandraConnection): cassandra.Client {
  const hosts: string[] = [];
  let port: number | undefined;
  for (const cp of c.contactPoints) {
    const m = /^(.*):(\d+)$/.exec(cp);
    if (m) {
      hosts.push(m[1]!);
      port = Number(m[2]);
    } else hosts.push(cp);
  }
  return new cassandra.Client({
    contactPoints: hosts,
    localDataCenter: c.localDataCenter,
    keyspace: c.keyspace,
    protocolOptions: port === undefined ? undefined : { port },
    credentials: c.username ? { username: c.username, password: c.password ?? '' } : undefined,
    // cassandra-driver passes sslOptions to tls.connect, which checks the certificate against the host.
    sslOptions: c.ssl ? (c.ssl === true ? {} : { ...c.ssl }) : undefined,
    socketOptions: { connectTimeout: 5_000, readTimeout: 12_000 },
    queryOptions: { prepare: true, isIdempotent: true, consistency: cassandra.types.consistencies.localQuorum },
  });
}
