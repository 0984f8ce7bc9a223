/**
 * The Cassandra sink's write span (tracing on): a CLIENT span `INSERT <table>` with the database
 * conventions, the child of the chunk span it is written under. The client here is a recording
 * fake: what Cassandra does with the rows is store's integration tests' business.
 */
import { Registry } from 'prom-client';
import { pino } from 'pino';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { MemoryKafka } from '@fleetstream/test-kit/memory-kafka';
import { cassandraSink, consumerConfigSchema, createStreamMetrics, installTracing, loadConfig, withSpan, type CqlClient, type Tracing } from '../src/index.ts';

describe('the Cassandra write span', () => {
  let tracing: Tracing;
  let exporter: InMemorySpanExporter;
  beforeEach(async () => {
    exporter = new InMemorySpanExporter();
    tracing = await installTracing({ serviceName: 'store', exporter, processor: 'simple' });
  });
  afterEach(async () => {
    await tracing.shutdown();
  });

  test('a chunk write is one CLIENT span INSERT <table> under the chunk span, with db.system cassandra, keyspace and table', async () => {
    // Prepare
    const executed: string[] = [];
    const client: CqlClient & { connect(): Promise<void>; shutdown(): Promise<void> } = {
      execute: async (query) => void executed.push(query),
      batch: async (queries) => void executed.push(...queries.map((q) => q.query)),
      connect: async () => undefined,
      shutdown: async () => undefined,
    };
    const kafka = new MemoryKafka();
    const deps = {
      kafka,
      metrics: createStreamMetrics(new Registry(), 'store', { processMetrics: false }),
      config: loadConfig(consumerConfigSchema, { KAFKA_BROKERS: '127.0.0.1:1' }),
      logger: pino({ level: 'silent' }),
      health: { setReadiness: () => undefined } as never,
    };
    const sink = cassandraSink<string>(deps, {
      client,
      statements: (rows) => rows.map((r) => ({ statement: { query: `INSERT INTO ks.positions_by_device_day (v) VALUES (?)`, params: [r] }, rows: 1 })),
      concurrency: { min: 1, max: 4, initial: 2 },
      span: { keyspace: 'ks', table: 'positions_by_device_day' },
    });
    await sink.start();

    // Act
    await withSpan('process telemetry.enriched', { kind: SpanKind.CONSUMER }, () => sink.write({ out: ['a', 'b'], dead: [] }, [], { groupId: 'g', signal: new AbortController().signal }));
    await sink.stop();

    // Assess
    const chunk = exporter.getFinishedSpans().find((s) => s.kind === SpanKind.CONSUMER)!;
    const write = exporter.getFinishedSpans().find((s) => s.kind === SpanKind.CLIENT)!;
    expect(executed.filter((q) => q.startsWith('INSERT'))).toHaveLength(2);
    expect(write.name).toBe('INSERT positions_by_device_day');
    expect(write.parentSpanContext?.spanId).toBe(chunk.spanContext().spanId);
    expect(write.attributes).toMatchObject({ 'db.system': 'cassandra', 'db.system.name': 'cassandra', 'db.namespace': 'ks', 'db.collection.name': 'positions_by_device_day', 'db.operation.batch.size': 2 });
  });
});
