import { fileURLToPath } from 'node:url';
import { brokers, produce, readTopic, startServiceProcess, type ReadRecord, type ServiceProcess } from '@fleetstream/test-kit';
import { createKafkajsClient, type KafkaClient } from '../../src/index.ts';
import { createPlatformaticClient } from '../../src/kafka/platformatic-client.ts';

export { brokers, committedOffsets, createTopics, deleteTopics, rawKafka, suffix } from '@fleetstream/test-kit';

/** Produces `count` records with values 0..count-1 (or from `valueOf`), keys spread over 64 devices. */
export function produceRange(topic: string, count: number, valueOf: (i: number) => string = String): Promise<void> {
  return produce(topic, Array.from({ length: count }, (_, i) => ({ key: `dev-${i % 64}`, value: valueOf(i) })), 5_000);
}

export interface ReadValue {
  value: string;
  headers: Record<string, string>;
}

/** Reads a topic from the beginning until `until` says stop, or returns what it read by the timeout. */
export async function readAll(topic: string, until: (values: ReadValue[]) => boolean, timeoutMs = 60_000): Promise<ReadValue[]> {
  const values: ReadValue[] = [];
  const toValues = (records: readonly ReadRecord[]) => {
    for (let i = values.length; i < records.length; i++) {
      const r = records[i] as ReadRecord;
      values.push({ value: r.value?.toString() ?? '', headers: r.headers });
    }
    return values;
  };
  toValues(await readTopic(topic, { until: (records) => until(toValues(records)), timeoutMs, onTimeout: 'return' }));
  return values;
}

const stageFile = fileURLToPath(new URL('../fixtures/example-stage.ts', import.meta.url));

/**
 * The client the suite runs on: KAFKA_CLIENT of the test run (`KAFKA_CLIENT=platformatic npx jest`
 * runs the whole suite on @platformatic/kafka), kafkajs by default.
 */
export const suiteClient: 'kafkajs' | 'platformatic' = process.env.KAFKA_CLIENT === 'platformatic' ? 'platformatic' : 'kafkajs';

/** A client of the run's brokers on {@link suiteClient} (or the one named). */
export function streamClient(clientId: string, name: 'kafkajs' | 'platformatic' = suiteClient): KafkaClient {
  const connection = { brokers: brokers(), clientId };
  return name === 'platformatic' ? createPlatformaticClient(connection) : createKafkajsClient(connection);
}

/** Starts the example stage as its own process on {@link suiteClient} (HEALTH_PORT=0: the port is read from its log). */
export const startStage = (env: Record<string, string>): ServiceProcess => startServiceProcess(stageFile, { KAFKA_CLIENT: suiteClient, ...env });
