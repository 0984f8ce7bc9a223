import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { createKafkajsClient, startService, type KafkaClient, type OutboundRecord, type ServiceDeps } from '@fleetstream/stream';
import { createPlatformaticClient } from '@fleetstream/stream/platformatic';
import { brokers, createTopics, expectSuiteKafkaClient, readTopic, suffix, suiteKafkaClientEnv } from '@fleetstream/test-kit';
import { enrichDefinition, type EnrichConfig, type EnrichService } from '../../src/index.ts';

export { scrapeMetric, suffix, waitFor } from '@fleetstream/test-kit';

/** A client of the suite's KAFKA_CLIENT (kafkajs unless the run sets platformatic), as enrich's own. */
export const client = (): KafkaClient =>
  (suiteKafkaClientEnv().KAFKA_CLIENT === 'platformatic' ? createPlatformaticClient : createKafkajsClient)({ brokers: brokers(), clientId: 'enrich-test' });

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
  await createTopics([
    { topic: t.input, partitions },
    { topic: t.output, partitions },
    { topic: t.reference, partitions, compact: true },
    t.dlq,
  ]);
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
  const records = await readTopic(topic, { count, timeoutMs });
  return records.map((r) => ({ key: r.key ?? '', value: parseOrRaw(r.value), headers: r.headers, partition: r.partition }));
}

const quiet = () => new Writable({ write: (_c, _e, cb) => cb() });

/** Starts enrich in-process on the test's topics and stub. */
/**
 * A client whose consumers of `topic` hold every batch until `gate` resolves (`reached` is called
 * at the first): the real broker and client, with the moment of reading under the test's control.
 */
export function holdReads(kafka: KafkaClient, topic: string, gate: Promise<void>, reached: () => void): KafkaClient {
  return {
    ...kafka,
    consumer: (options) => {
      const consumer = kafka.consumer(options);
      if (!options.topics.includes(topic)) return consumer;
      return {
        ...consumer,
        run: (handler) =>
          consumer.run(async (batch, control) => {
            reached();
            await gate;
            await handler(batch, control);
          }),
      };
    },
  };
}

/** Starts enrich in-process; `decorate` may wrap what the service is built from (e.g. its Kafka client). */
export async function startEnrich(topics: TestTopics, assetApiUrl: string, env: Record<string, string> = {}, decorate?: (deps: ServiceDeps<EnrichConfig>) => ServiceDeps<EnrichConfig>) {
  const definition = decorate ? { ...enrichDefinition, create: (deps: ServiceDeps<EnrichConfig>) => enrichDefinition.create(decorate(deps)) } : enrichDefinition;
  const started = await startService(definition, {
    env: {
      KAFKA_BROKERS: brokers().join(','),
      ...suiteKafkaClientEnv(),
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
  expectSuiteKafkaClient(started.deps.kafka.name);
  return { ...started, enrich: started.service as EnrichService };
}

function parseOrRaw(value: Buffer | null): Record<string, unknown> {
  if (value === null) return {};
  try {
    return JSON.parse(value.toString()) as Record<string, unknown>;
  } catch {
    return { raw: value.toString() };
  }
}
