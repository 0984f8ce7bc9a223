import cassandra from 'cassandra-driver';

/** How to reach Cassandra (CASSANDRA_* variables). */
export interface CassandraConnection {
  /** host:port (or host) entries. */
  contactPoints: string[];
  localDataCenter: string;
  keyspace?: string;
  username?: string;
  password?: string;
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
    socketOptions: { connectTimeout: 5_000, readTimeout: 12_000 },
    queryOptions: { prepare: true, isIdempotent: true, consistency: cassandra.types.consistencies.localQuorum },
  });
}
