/**
 * jest globalSetup: gives the test run a Kafka and a Cassandra, in this order of preference:
 *   1. KAFKA_BROKERS and CASSANDRA_CONTACT_POINTS already set (npm test starts the devstack once
 *      for all workspaces; a user may point at their own servers): use them.
 *   2. FLEETSTREAM_TESTCONTAINERS=1 and a Docker engine: testcontainers starts the official images.
 *   3. Otherwise the devstack, started here and stopped in globalTeardown.
 */
import { up } from '../stack.ts';
import { startContainers } from './containers.ts';

export default async function globalSetup(): Promise<void> {
  process.env.PG_URL ??= 'postgres://postgres@127.0.0.1:5432/test';
  if (process.env.KAFKA_BROKERS && process.env.CASSANDRA_CONTACT_POINTS) return;
  if (process.env.FLEETSTREAM_TESTCONTAINERS === '1') {
    const endpoints = await startContainers();
    Object.assign(process.env, endpoints);
    return;
  }
  const { state, started } = await up({ detached: false });
  process.env.KAFKA_BROKERS = state.kafka.brokers;
  process.env.CASSANDRA_CONTACT_POINTS = state.cassandra.contactPoints;
  if (started) process.env.FLEETSTREAM_DEVSTACK_OWNED = '1';
}
