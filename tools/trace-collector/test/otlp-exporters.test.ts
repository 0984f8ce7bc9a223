import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, InMemorySpanExporter, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { createTraceCollector, type TraceCollector } from '../src/index.ts';

/**
 * The receiver against the OFFICIAL exporters (the versions libs/stream pins), in both OTLP/HTTP
 * encodings, with and without gzip: what the SDK recorded is what the collector holds.
 */
const nanos = (t: [number, number]) => BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]);

describe.each([
  ['http/json', 'none'],
  ['http/json', 'gzip'],
  ['http/protobuf', 'none'],
  ['http/protobuf', 'gzip'],
] as const)('the official %s exporter (compression %s)', (protocol, compression) => {
  let collector: TraceCollector;
  beforeAll(async () => {
    collector = await createTraceCollector({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => collector.close());

  test('delivers a parent and a child span whose ids, parent, names, times, kinds, attributes, events, status and service.name the collector decodes exactly', async () => {
    // Prepare
    const url = `${collector.endpoint}/v1/traces`;
    const exporter = protocol === 'http/json' ? new JsonExporter({ url, compression: compression as never }) : new ProtoExporter({ url, compression: compression as never });
    const recorded = new InMemorySpanExporter();
    const provider = new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'parse', 'service.version': '0.1.0' }),
      spanProcessors: [new BatchSpanProcessor({ exporter, scheduledDelayMillis: 50 }), new BatchSpanProcessor({ exporter: recorded, scheduledDelayMillis: 50 })],
    });
    const tracer = provider.getTracer('fleetstream-test', '1.2.3');

    // Act
    const parent = tracer.startSpan('parse chunk', { kind: SpanKind.CONSUMER, attributes: { 'messaging.system': 'kafka', 'messaging.batch.message_count': 3, ratio: 0.25, retried: false, partitions: [0, 2] } });
    const child = tracer.startSpan('asset lookup', { kind: SpanKind.CLIENT, attributes: { 'http.response.status_code': 404 } }, trace.setSpan(context.active(), parent));
    child.addEvent('retry', { attempt: 2 });
    child.setStatus({ code: SpanStatusCode.ERROR, message: 'asset api answered 404' });
    child.end();
    parent.end();
    await provider.forceFlush();
    const traceId = parent.spanContext().traceId;
    const held = await collector.waitFor((s) => (s.get(traceId)?.spans.length === 2 ? s.get(traceId) : undefined), 10_000, `trace ${traceId}`);
    const sdk = new Map<string, ReadableSpan>(recorded.getFinishedSpans().map((s) => [s.spanContext().spanId, s]));
    await provider.shutdown();

    // Assess
    const p = held.spans.find((s) => s.name === 'parse chunk')!;
    const c = held.spans.find((s) => s.name === 'asset lookup')!;
    expect(p).toMatchObject({
      traceId,
      spanId: parent.spanContext().spanId,
      parentSpanId: '',
      kind: 5,
      startTimeUnixNano: nanos(sdk.get(parent.spanContext().spanId)!.startTime),
      endTimeUnixNano: nanos(sdk.get(parent.spanContext().spanId)!.endTime),
      attributes: { 'messaging.system': 'kafka', 'messaging.batch.message_count': 3, ratio: 0.25, retried: false, partitions: [0, 2] },
      status: { code: 0, message: '' },
      serviceName: 'parse',
      scope: { name: 'fleetstream-test', version: '1.2.3' },
    });
    expect(p.resource).toMatchObject({ 'service.name': 'parse', 'service.version': '0.1.0' });
    expect(c).toMatchObject({
      traceId,
      spanId: child.spanContext().spanId,
      parentSpanId: parent.spanContext().spanId,
      kind: 3,
      startTimeUnixNano: nanos(sdk.get(child.spanContext().spanId)!.startTime),
      endTimeUnixNano: nanos(sdk.get(child.spanContext().spanId)!.endTime),
      attributes: { 'http.response.status_code': 404 },
      status: { code: 2, message: 'asset api answered 404' },
      serviceName: 'parse',
    });
    expect(c.events).toEqual([{ name: 'retry', timeUnixNano: nanos(sdk.get(child.spanContext().spanId)!.events[0]!.time), attributes: { attempt: 2 } }]);
    expect(p.startTimeUnixNano).toBeGreaterThan(1_600_000_000_000_000_000n);
  });
});
