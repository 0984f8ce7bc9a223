import cassandra from 'cassandra-driver';
import { createKafkajsClient, type StreamAdmin } from '@fleetstream/stream';
import { brokers } from '@fleetstream/test-kit';

export { suffix } from '@fleetstream/test-kit';

export const streamAdmin = (): StreamAdmin => createKafkajsClient({ brokers: brokers(), clientId: 'topology-test' }).admin();

/** A client of the test Cassandra (CASSANDRA_CONTACT_POINTS, host:port; the devstack's by default). */
export function cassandraClient(): cassandra.Client {
  const points = (process.env.CASSANDRA_CONTACT_POINTS ?? '127.0.0.1:19042').split(',');
  const port = /:(\d+)$/.exec(points[0]!)?.[1];
  return new cassandra.Client({
    contactPoints: points.map((p) => p.replace(/:\d+$/, '')),
    localDataCenter: process.env.CASSANDRA_LOCAL_DC ?? 'datacenter1',
    protocolOptions: port === undefined ? undefined : { port: Number(port) },
  });
}

export async function dropKeyspace(client: cassandra.Client, keyspace: string): Promise<void> {
  await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`).catch(() => undefined);
}
