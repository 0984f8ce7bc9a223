import { fileURLToPath } from 'node:url';
import { produce, readTopic, startServiceProcess, type ReadRecord, type ServiceProcess } from '@fleetstream/test-kit';

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

/** Starts the example stage as its own process (HEALTH_PORT=0: the port is read from its log). */
export const startStage = (env: Record<string, string>): ServiceProcess => startServiceProcess(stageFile, env);
