import { randomUUID } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';

export const brokers = () => (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
export const suffix = () => randomUUID().slice(0, 8);

export function rawKafka() {
  return new kafkajs.Kafka({ clientId: 'stream-test', brokers: brokers(), logLevel: kafkajs.logLevel.NOTHING });
}

export async function createTopic(topic: string, partitions: number): Promise<void> {
  const admin = rawKafka().admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  await admin.disconnect();
}

/** Produces `count` records with values 0..count-1 (or from `valueOf`), keys spread over 64 devices. */
export async function produceRange(topic: string, count: number, valueOf: (i: number) => string = String): Promise<void> {
  const producer = rawKafka().producer({ idempotent: true });
  await producer.connect();
  for (let start = 0; start < count; start += 5000) {
    const n = Math.min(5000, count - start);
    await producer.send({ topic, acks: -1, messages: Array.from({ length: n }, (_, i) => ({ key: `dev-${(start + i) % 64}`, value: valueOf(start + i) })) });
  }
  await producer.disconnect();
}

/** Reads a topic from the beginning until `until` says stop (or the timeout passes). */
export async function readAll(topic: string, until: (values: { value: string; headers: Record<string, string> }[]) => boolean, timeoutMs = 60_000) {
  const consumer = rawKafka().consumer({ groupId: `reader-${suffix()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const values: { value: string; headers: Record<string, string> }[] = [];
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    void consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(m.headers ?? {})) headers[k] = String(v);
          values.push({ value: m.value?.toString() ?? '', headers });
        }
        if (until(values)) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return values;
}

export async function committed(groupId: string, topic: string): Promise<Map<number, bigint>> {
  const admin = rawKafka().admin();
  await admin.connect();
  const res = await admin.fetchOffsets({ groupId, topics: [topic] });
  await admin.disconnect();
  return new Map(res[0]!.partitions.map((p) => [p.partition, BigInt(p.offset)]));
}

const stageFile = fileURLToPath(new URL('../fixtures/example-stage.ts', import.meta.url));

export interface StageProcess {
  child: ChildProcess;
  stderr: () => string;
  healthPort: Promise<number>;
  exited: Promise<number | null>;
}

/** Starts the example stage as its own process (HEALTH_PORT=0: the port is read from its log). */
export function startStage(env: Record<string, string>): StageProcess {
  const child = spawn(process.execPath, [stageFile], {
    env: { PATH: process.env.PATH, KAFKA_BROKERS: brokers().join(','), HEALTH_PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const healthPort = new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /"healthPort":(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', () => reject(new Error(`stage exited before start: ${err}`)));
  });
  healthPort.catch(() => undefined);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stderr: () => err, healthPort, exited };
}
