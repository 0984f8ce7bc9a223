import cassandra from 'cassandra-driver';
import { createCassandraClient } from '../../src/cassandra-client.ts';
import { apply, loadTopology, plan, type DesiredTopology } from '@fleetstream/topology';
import { createKafkajsClient } from '@fleetstream/stream';
import { uuidFromKey } from '@fleetstream/telemetry';
import { brokers, suffix } from '@fleetstream/test-kit';

export { brokers, createTopics, produce, rawKafka, readTopic, suffix, waitFor } from '@fleetstream/test-kit';
export const contactPoints = () => (process.env.CASSANDRA_CONTACT_POINTS ?? '127.0.0.1:19042').split(',');

export const streamAdmin = () => createKafkajsClient({ brokers: brokers(), clientId: 'store-test' }).admin();

/** A client of the run's Cassandra, or of the nodes `points` names (a test's own node). */
export function cassandraClient(keyspace?: string, points: string[] = contactPoints()): cassandra.Client {
  return createCassandraClient({ contactPoints: points, localDataCenter: process.env.CASSANDRA_LOCAL_DC ?? 'datacenter1', keyspace });
}

/** Creates a fresh keyspace with the topology's migrations (only them: no topics). */
export async function migratedKeyspace(client: cassandra.Client, positionsTtlSeconds = 86_400): Promise<DesiredTopology> {
  const desired = loadTopology(undefined, { keyspace: `store_test_${suffix()}`, positionsTtlSeconds });
  desired.topics = [];
  const admin = streamAdmin();
  await admin.connect();
  try {
    const p = await plan(desired, { admin, cassandra: client });
    await apply(p.actions, desired, { admin, cassandra: client });
  } finally {
    await admin.disconnect();
  }
  return desired;
}

export async function dropKeyspace(client: cassandra.Client, keyspace: string): Promise<void> {
  await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`).catch(() => undefined);
}

/** An enriched event as telemetry.enriched carries it (libs/telemetry's shape, schema version 1). */
/** The (deterministic, UUID) eventId of {@link enrichedEvent}(deviceId, eventTime, n). */
export function testEventId(deviceId: string, eventTime: number, n: number): string {
  return uuidFromKey(`${deviceId}-${eventTime}`, n);
}

export function enrichedEvent(deviceId: string, eventTime: number, n: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    schemaVersion: 1,
    eventId: testEventId(deviceId, eventTime, n),
    deviceId,
    eventTime,
    receivedAt: eventTime + 1_500,
    position: { lat: 54.6 + (n % 100) / 1000, lon: 25.2 + (n % 77) / 1000, altitude: 120, heading: n % 360, speed: n % 90, satellites: 9 },
    priority: 0,
    eventIoId: 0,
    io: { '239': 1, '66': 12_500, '78': { hex: '00ff' }, '16': '18446744073709551615' },
    ignition: n % 2 === 0,
    movement: true,
    externalVoltage: 12.5,
    asset: { assetId: `asset-${deviceId}`, customerId: 'cust-1', model: 'FMB920', owner: 'ops', tags: ['truck'] },
    enrichment: 'ok',
    ...extra,
  };
}
