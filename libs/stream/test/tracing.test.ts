/**
 * Traces through a stage on the in-memory Kafka of the test kit, with an in-memory span exporter:
 * the chunk's span (parent, links), the trace headers of outputs and dead letters, the log fields,
 * and what tracing off leaves behind (the header copy only).
 */
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { pino } from 'pino';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { SpanKind } from '@opentelemetry/api';
import { MemoryKafka } from '@fleetstream/test-kit/memory-kafka';
import {
  ConsumerRunner,
  copyTraceHeaders,
  createLogger,
  createStreamMetrics,
  DlqWriter,
  installTracing,
  kafkaStageHandler,
  tracingSettings,
  type InboundRecord,
  type OutboundRecord,
  type Tracing,
  type Transform,
} from '../src/index.ts';

const silent = pino({ level: 'silent' });
const hex = (n: number, len: number) => n.toString(16).padStart(len, '0');
/** A sampled W3C traceparent of trace `t`, span `s`. */
const traceparent = (t: number, s: number) => `00-${hex(t, 32)}-${hex(s, 16)}-01`;

/** Log lines (parsed) written through the shared logger factory. */
function capturedLogger() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger({ service: 'unit', version: 'test', destination }), lines };
}

/**
 * A pass-through transform like parse's: outputs take their input's trace headers; a value
 * 'poison' is a dead letter. It logs one line per chunk.
 */
const passThrough = (log: pino.Logger): Transform => (records: InboundRecord[]) => {
  log.info({ records: records.length }, 'transforming');
  const out: OutboundRecord[] = [];
  const dead = [];
  for (const r of records) {
    if (r.value?.toString() === 'poison') dead.push({ record: r, error: new Error('poison') });
    else out.push({ topic: 'out', key: r.key, value: r.value, headers: copyTraceHeaders(r.headers, { kind: 'output' }) });
  }
  return { out, dead };
};

/** Runs the stage over the records of 'in' (one partition, one chunk) until all are handled. */
async function runStage(inputs: { value: string; headers: Record<string, string> }[], log: pino.Logger) {
  const kafka = new MemoryKafka({ fetchMaxRecords: 1_000 });
  kafka.createTopic('in', 1);
  kafka.createTopic('out', 1);
  kafka.createTopic('telemetry.dlq', 1);
  kafka.append('in', inputs.map((i) => ({ key: 'dev-1', value: i.value, headers: i.headers })));
  const metrics = createStreamMetrics(new Registry(), 'unit', { processMetrics: false });
  const producer = kafka.producer();
  await producer.connect();
  let handled = 0;
  const handler = kafkaStageHandler({ transform: passThrough(log), producer, dlq: new DlqWriter(producer, metrics), metrics });
  const runner = new ConsumerRunner({
    consumer: kafka.consumer({ groupId: 'g', topics: ['in'] }),
    handler: async (records, ctx) => {
      await handler(records, ctx);
      handled += records.length;
    },
    throttle: { maxRecordsPerBatch: 100, minFetchIntervalMs: 0, recordsPerSec: 0, bytesPerSec: 0, maxInFlight: 10_000 },
    commitIntervalMs: 60_000,
    heartbeatIntervalMs: 1_000,
    metrics,
    logger: silent,
  });
  await runner.start();
  while (handled < inputs.length) await new Promise((r) => setTimeout(r, 2));
  await runner.stop(1_000);
  await producer.disconnect();
  return { out: kafka.read('out'), dlq: kafka.read('telemetry.dlq') };
}

const inputs: { value: string; headers: Record<string, string> }[] = [
  { value: 'a', headers: { traceparent: traceparent(1, 11), tracestate: 'vendor=one' } },
  { value: 'b', headers: { traceparent: traceparent(2, 22) } },
  { value: 'poison', headers: { traceparent: traceparent(3, 33) } },
  { value: 'c', headers: {} },
];

describe('with tracing on', () => {
  let tracing: Tracing;
  let exporter: InMemorySpanExporter;
  beforeEach(async () => {
    exporter = new InMemorySpanExporter(); // a provider's shutdown stops its exporter for good
    tracing = await installTracing({ serviceName: 'unit', exporter, processor: 'simple' });
  });
  afterEach(async () => {
    await tracing.shutdown();
  });

  test("a chunk has one CONSUMER span, the child of its first record's context, linked to the other records' contexts", async () => {
    // Act
    await runStage(inputs, silent);

    // Assess
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => [s.name, s.kind])).toEqual([['process in', SpanKind.CONSUMER]]);
    const span = spans[0]!;
    expect(span.spanContext().traceId).toBe(hex(1, 32));
    expect(span.parentSpanContext?.spanId).toBe(hex(11, 16));
    expect(span.links.map((l) => [l.context.traceId, l.context.spanId])).toEqual([
      [hex(2, 32), hex(22, 16)],
      [hex(3, 32), hex(33, 16)],
    ]);
    expect(span.attributes).toMatchObject({ 'messaging.system': 'kafka', 'messaging.destination.name': 'in', 'messaging.destination.partition.id': '0', 'messaging.batch.message_count': 4, 'messaging.operation.type': 'process' });
  });

  test("the first record's outputs carry the chunk span's context (tracestate kept); every other output keeps its input's own traceparent", async () => {
    // Act
    const { out } = await runStage(inputs, silent);

    // Assess
    const span = exporter.getFinishedSpans()[0]!;
    expect(out.map((r) => [r.value!.toString(), r.headers.traceparent, r.headers.tracestate])).toEqual([
      ['a', `00-${hex(1, 32)}-${span.spanContext().spanId}-01`, 'vendor=one'],
      ['b', traceparent(2, 22), undefined],
      ['c', undefined, undefined],
    ]);
  });

  test("two hops in a row: the second hop's span is the child of the first's, in the trace of the packet", async () => {
    // Act: the outputs of one stage are the inputs of the next (as parse -> enrich)
    const first = await runStage(inputs, silent);
    await runStage(first.out.map((r) => ({ value: r.value!.toString(), headers: r.headers })), silent);

    // Assess
    const [hop1, hop2] = exporter.getFinishedSpans();
    expect(hop1!.parentSpanContext?.spanId).toBe(hex(11, 16));
    expect(hop2!.parentSpanContext?.spanId).toBe(hop1!.spanContext().spanId);
    expect([hop1!.spanContext().traceId, hop2!.spanContext().traceId]).toEqual([hex(1, 32), hex(1, 32)]);
    expect(hop2!.links.map((l) => l.context.traceId)).toEqual([hex(2, 32)]);
  });

  test('a dead letter keeps the traceparent of the record it came from', async () => {
    // Prepare: the poisoned record first, so it is the one whose context the chunk span takes as parent
    const poisonFirst = [inputs[2]!, inputs[0]!];

    // Act
    const { dlq } = await runStage(poisonFirst, silent);

    // Assess
    expect(dlq.map((r) => [r.value!.toString(), r.headers.traceparent])).toEqual([['poison', traceparent(3, 33)]]);
    expect(exporter.getFinishedSpans()[0]!.parentSpanContext?.spanId).toBe(hex(33, 16));
  });

  test('log lines written inside the chunk carry its trace_id and span_id; lines outside carry none', async () => {
    // Prepare
    const { logger, lines } = capturedLogger();

    // Act
    await runStage(inputs, logger);
    logger.info('outside any span');
    logger.flush();
    await new Promise((r) => setTimeout(r, 50));

    // Assess
    const span = exporter.getFinishedSpans()[0]!;
    const inside = lines.find((l) => l.msg === 'transforming');
    const outside = lines.find((l) => l.msg === 'outside any span');
    expect(inside).toMatchObject({ trace_id: span.spanContext().traceId, span_id: span.spanContext().spanId });
    expect(outside).toBeDefined();
    expect(outside).not.toHaveProperty('trace_id');
    expect(outside).not.toHaveProperty('span_id');
  });
});

describe('with tracing off', () => {
  test('outputs get exactly their input trace headers and nothing else; no span, no trace fields in logs', async () => {
    // Prepare
    const exporter = new InMemorySpanExporter();
    const { logger, lines } = capturedLogger();

    // Act
    const { out } = await runStage(inputs, logger);
    logger.flush();
    await new Promise((r) => setTimeout(r, 50));

    // Assess
    expect(out.map((r) => r.headers)).toEqual([
      { kind: 'output', traceparent: traceparent(1, 11), tracestate: 'vendor=one' },
      { kind: 'output', traceparent: traceparent(2, 22) },
      { kind: 'output' },
    ]);
    expect(exporter.getFinishedSpans()).toHaveLength(0);
    const line = lines.find((l) => l.msg === 'transforming');
    expect(line).toBeDefined();
    expect(line).not.toHaveProperty('trace_id');
  });
});

describe('the OTEL_* variables', () => {
  test.each([
    ['no endpoint: off', {}, undefined],
    ['OTEL_SDK_DISABLED=true wins over an endpoint', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_SDK_DISABLED: 'true' as const }, undefined],
    ['the base endpoint gets /v1/traces', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318/' }, 'http://127.0.0.1:4318/v1/traces'],
    ['the traces endpoint is used as is', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:1', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:2/x' }, 'http://b:2/x'],
  ])('%s', (_name, config, url) => {
    expect(tracingSettings(config, 'parse')?.url).toBe(url);
  });

  test('defaults follow the spec: http/protobuf, parentbased_always_on, 5 s schedule delay, the service name', () => {
    const s = tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }, 'enrich')!;
    expect([s.protocol, s.sampler, s.batch.scheduledDelayMillis, s.serviceName]).toEqual(['http/protobuf', { name: 'parentbased_always_on', ratio: 1 }, 5_000, 'enrich']);
    const t = tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x:1', OTEL_SERVICE_NAME: 'edge', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: 0.01, OTEL_BSP_SCHEDULE_DELAY: 200 }, 'enrich')!;
    expect([t.protocol, t.sampler, t.batch.scheduledDelayMillis, t.serviceName]).toEqual(['http/json', { name: 'parentbased_traceidratio', ratio: 0.01 }, 200, 'edge']);
  });
});
