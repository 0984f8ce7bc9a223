/**
 * The Docker path: the official apache/kafka and cassandra images through testcontainers, for
 * machines with a Docker engine (FLEETSTREAM_TESTCONTAINERS=1). The same tests run against them.
 */
import type { Endpoints } from '../stack.ts';

interface Stoppable {
  stop(): Promise<unknown>;
}
const running: Stoppable[] = [];

export async function startContainers(): Promise<Endpoints> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const kafkaPort = 29092;
  const kafka = await new GenericContainer('apache/kafka:3.9.1')
    .withExposedPorts({ container: kafkaPort, host: kafkaPort })
    .withEnvironment({
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: `PLAINTEXT://0.0.0.0:${kafkaPort},CONTROLLER://0.0.0.0:9093`,
      KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${kafkaPort}`,
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
      KAFKA_NUM_PARTITIONS: '4',
    })
    .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
    .start();
  running.push(kafka);
  const cassandra = await new GenericContainer('cassandra:5.0')
    .withExposedPorts(9042)
    .withEnvironment({ MAX_HEAP_SIZE: '1G', HEAP_NEWSIZE: '256M' })
    .withWaitStrategy(Wait.forLogMessage(/Starting listening for CQL clients/))
    .withStartupTimeout(180_000)
    .start();
  running.push(cassandra);
  return {
    KAFKA_BROKERS: `127.0.0.1:${kafkaPort}`,
    CASSANDRA_CONTACT_POINTS: `${cassandra.getHost()}:${cassandra.getMappedPort(9042)}`,
  };
}

export async function stopContainers(): Promise<void> {
  await Promise.all(running.splice(0).map((c) => c.stop()));
}
