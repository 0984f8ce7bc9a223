import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { createKafkajsClient, startService, type OutboundRecord } from '@fleetstream/stream';
import { enrichService, type EnrichService } from '../../src/index.ts';

export const brokers = () => (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
export const suffix = () => randomUUID().slice(0, 8);
export const client = () => createKafkajsClient({ brokers: brokers(), clientId: 'enrich-test' });

/** The topics of one test, each with a random suffix. */
export interface TestTopics {
  input: string;
  output: string;
  reference: string;
  dlq: string;
}

export async function createTestTopics(partitions = 2): Promise<TestTopics> {
  const s = suffix();
  const t = { input: `parsed-${s}`, output: `enriched-${s}`, reference: `assets-${s}`, dlq: `dlq-${s}` };
  const admin = client().admin();
  await admin.connect();
  await admin.createTopics([
    { topic: t.input, numPartitions: partitions, replicationFactor: 1 },
    { topic: t.output, numPartitions: partitions, replicationFactor: 1 },
    { topic: t.reference, numPartitions: partitions, replicationFactor: 1, configs: { 'cleanup.policy': 'compact' } },
    { topic: t.dlq, numPartitions: 1, replicationFactor: 1 },
  ]);
  await admin.disconnect();
  return t;
}

export async function produce(records: OutboundRecord[]): Promise<void> {
  const p = client().producer();
  await p.connect();
  await p.send(records);
  await p.disconnect();
}

let seq = 0;
/** A parsed event (TelemetryEvent v1 as JSON) of a device; `n` is kept in `io` to check order. */
export function parsedEvent(deviceId: string, n: number): OutboundRecord & { topic: string } {
  seq++;
  const receivedAt = 1_790_000_000_000 + seq;
  const value = {
    schemaVersion: 1,
    eventId: randomUUID(),
    deviceId,
    eventTime: receivedAt - 1000,
    receivedAt,
    position: { lat: 59.3, lon: 18.1, altitude: 20, heading: 90, speed: 42, satellites: 9 },
    priority: 0,
    eventIoId: 0,
    io: { '1': n },
    ignition: true,
  };
  return { topic: '', key: deviceId, value: JSON.stringify(value), headers: { 'schema-version': '1', receivedAt: String(receivedAt) } };
}

export function events(topic: string, deviceId: string, count: number, from = 0): OutboundRecord[] {
  return Array.from({ length: count }, (_, i) => ({ ...parsedEvent(deviceId, from + i), topic }));
}

export function assetRow(topic: string, deviceId: string, assetId: string): OutboundRecord {
  return { topic, key: deviceId, value: JSON.stringify({ deviceId, assetId, customerId: 'cust-1', model: 'FMB920', owner: 'acme', tags: ['truck', 'north'] }) };
}

export interface ReadRecord {
  key: string;
  value: Record<string, unknown>;
  headers: Record<string, string>;
  partition: number;
}

/** Reads a topic from the beginning until `count` records arrived (or throws after the timeout). */
export async function readN(topic: string, count: number, timeoutMs = 30_000): Promise<ReadRecord[]> {
  const consumer = client().consumer({ groupId: `reader-${suffix()}`, topics: [topic], fromBeginning: true });
  const out: ReadRecord[] = [];
  await consumer.connect();
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${out.length} of ${count} records from ${topic}`)), timeoutMs);
      void consumer.run(async (batch, control) => {
        for (const r of batch.records) {
          out.push({ key: r.key?.toString() ?? '', value: parseOrRaw(r.value), headers: r.headers, partition: r.partition });
        }
        control.resolveOffset(batch.lastOffset);
        if (out.length >= count) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}

const quiet = () => new Writable({ write: (_c, _e, cb) => cb() });

/** Starts enrich in-process on the test's topics and stub. */
export async function startEnrich(topics: TestTopics, assetApiUrl: string, env: Record<string, string> = {}) {
  const started = await startService(enrichService, {
    env: {
      KAFKA_BROKERS: brokers().join(','),
      HEALTH_PORT: '0',
      LOG_LEVEL: 'warn',
      INPUT_TOPIC: topics.input,
      OUTPUT_TOPIC: topics.output,
      REFERENCE_TOPIC: topics.reference,
      DLQ_TOPIC: topics.dlq,
      CONSUMER_GROUP: `enrich-${suffix()}`,
      ASSET_API_URL: assetApiUrl,
      COMMIT_INTERVAL_MS: '200',
      SHUTDOWN_TIMEOUT_MS: '5000',
      ...env,
    },
    handleSignals: false,
    logDestination: quiet(),
  });
  return { ...started, enrich: started.service as EnrichService };
}

export async function metric(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

function parseOrRaw(value: Buffer | null): Record<string, unknown> {
  if (value === null) return {};
  try {
    return JSON.parse(value.toString()) as Record<string, unknown>;
  } catch {
    return { raw: value.toString() };
  }
}
