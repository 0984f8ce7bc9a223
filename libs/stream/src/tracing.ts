import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Link, type Span, type Tracer } from '@opentelemetry/api';
import type { Sampler, SpanExporter } from '@opentelemetry/sdk-trace';
import type { Headers, InboundRecord } from './types.ts';
import { tracingSettings, type TracingConfig, type TracingSettings } from './tracing-config.ts';

/** The W3C trace-context headers carried by our Kafka records (docs/architecture.md, "Traces"). */
export const TraceHeaders = { traceparent: 'traceparent', tracestate: 'tracestate' } as const;

/** Links a chunk span keeps at most (the SDK's default span link limit). */
const MAX_LINKS = 128;

/**
 * The tracer of this process, set by {@link startTracing} / {@link installTracing}: undefined while
 * tracing is off, and every helper below then does nothing but copy headers.
 */
let tracer: Tracer | undefined;

/** True while a tracer provider of ours is installed. */
export function tracingEnabled(): boolean {
  return tracer !== undefined;
}

/** A process's tracing: flush and stop it once, on shutdown. */
export interface Tracing {
  readonly enabled: boolean;
  /** Exports what is buffered and stops; gives up after `timeoutMs` (spans still queued are lost). */
  shutdown(timeoutMs?: number): Promise<void>;
}

const OFF: Tracing = { enabled: false, shutdown: async () => undefined };

/** Options of {@link installTracing}. */
export interface InstallTracingOptions {
  serviceName: string;
  serviceVersion?: string;
  exporter: SpanExporter;
  /** batch (default; what services use) or simple (every span exported as it ends: tests). */
  processor?: 'batch' | 'simple';
  sampler?: TracingSettings['sampler'];
  batch?: Partial<TracingSettings['batch']>;
  resourceAttributes?: Record<string, string>;
}

/**
 * Installs an OpenTelemetry tracer provider for the process: AsyncLocalStorage context, W3C
 * trace-context propagator, the sampler and a span processor on `exporter`. The SDK is imported
 * here, so a process with tracing off never loads it. Tests install one with an in-memory exporter.
 */
export async function installTracing(o: InstallTracingOptions): Promise<Tracing> {
  const [sdk, { AsyncLocalStorageContextManager }, { W3CTraceContextPropagator }, { resourceFromAttributes }] = await Promise.all([
    import('@opentelemetry/sdk-trace'),
    import('@opentelemetry/context-async-hooks'),
    import('@opentelemetry/core'),
    import('@opentelemetry/resources'),
  ]);
  const { name, ratio } = o.sampler ?? { name: 'parentbased_always_on', ratio: 1 };
  const root: Sampler = name.endsWith('always_off') ? new sdk.AlwaysOffSampler() : name.endsWith('traceidratio') ? new sdk.TraceIdRatioBasedSampler(ratio) : new sdk.AlwaysOnSampler();
  const sampler = name.startsWith('parentbased_') ? new sdk.ParentBasedSampler({ root }) : root;
  const processor = o.processor === 'simple' ? new sdk.SimpleSpanProcessor({ exporter: o.exporter }) : new sdk.BatchSpanProcessor({ exporter: o.exporter, ...o.batch });
  const resource = resourceFromAttributes({ ...o.resourceAttributes, 'service.name': o.serviceName, ...(o.serviceVersion ? { 'service.version': o.serviceVersion } : {}) });
  const provider = new sdk.TracerProvider({ resource, sampler, spanProcessors: [processor] });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  tracer = provider.getTracer('@fleetstream/stream', o.serviceVersion);
  let stopping: Promise<void> | undefined;
  return {
    enabled: true,
    shutdown: (timeoutMs = 5_000) =>
      (stopping ??= (async () => {
        tracer = undefined;
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([provider.shutdown().catch(() => undefined), new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
        clearTimeout(timer);
        trace.disable();
        propagation.disable();
        context.disable();
      })()),
  };
}

/**
 * The tracing the OTEL_* variables ask for (tracing-config.ts): off without an OTLP endpoint or
 * with OTEL_SDK_DISABLED=true; else OTLP/HTTP (protobuf by default, json with
 * OTEL_EXPORTER_OTLP_PROTOCOL=http/json) through a BatchSpanProcessor.
 */
export async function startTracing(config: TracingConfig, serviceName: string, serviceVersion?: string): Promise<Tracing> {
  const settings = tracingSettings(config, serviceName);
  if (!settings) return OFF;
  const { OTLPTraceExporter } = settings.protocol === 'http/json' ? await import('@opentelemetry/exporter-trace-otlp-http') : await import('@opentelemetry/exporter-trace-otlp-proto');
  const exporter = new OTLPTraceExporter({ url: settings.url, headers: settings.headers, timeoutMillis: settings.batch.exportTimeoutMillis });
  return installTracing({ serviceName: settings.serviceName, serviceVersion, exporter, sampler: settings.sampler, batch: settings.batch, resourceAttributes: settings.resourceAttributes });
}

/** The context a record's (or an HTTP request's) `traceparent`/`tracestate` carry; the root context when absent or malformed. */
export function contextFromHeaders(headers: Readonly<Record<string, string | string[] | undefined>>): Context {
  if (!tracer || headers[TraceHeaders.traceparent] === undefined) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, headers);
}

/** Sets `traceparent` (and `tracestate`) of `ctx` into `headers`; returns them. */
export function injectTraceHeaders(ctx: Context, headers: Headers): Headers {
  propagation.inject(ctx, headers);
  return headers;
}

/**
 * Copies the trace headers of an input record onto an output's headers (what every transform
 * that builds fresh headers calls): this is how a trace continues through a hop, and all it
 * costs when tracing is off.
 */
export function copyTraceHeaders(from: Headers, into: Headers): Headers {
  const tp = from[TraceHeaders.traceparent];
  if (tp !== undefined) {
    into[TraceHeaders.traceparent] = tp;
    const ts = from[TraceHeaders.tracestate];
    if (ts !== undefined) into[TraceHeaders.tracestate] = ts;
  }
  return into;
}

/** Ends `span` with the outcome of `run` (an error sets ERROR status and is recorded). */
async function ended<R>(span: Span, run: () => Promise<R>): Promise<R> {
  try {
    return await run();
  } catch (err) {
    span.recordException(err instanceof Error ? err : String(err));
    span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
    throw err;
  } finally {
    span.end();
  }
}

/**
 * Runs `fn` inside a new span (a child of `parent`, else of the active context) and returns its
 * result; `fn` gets the headers that carry the span's context to the next hop. Without tracing,
 * `fn` runs as is with empty headers.
 */
export function withSpan<R>(name: string, options: { kind?: SpanKind; attributes?: Attributes; parent?: Context }, fn: (trace: Headers) => Promise<R>): Promise<R> {
  if (!tracer) return fn({});
  const parent = options.parent ?? context.active();
  const span = tracer.startSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes }, parent);
  const ctx = trace.setSpan(parent, span);
  return context.with(ctx, () => ended(span, () => fn(injectTraceHeaders(ctx, {}))));
}

/**
 * One span per chunk per hop (messaging conventions: `process <topic>`, kind CONSUMER). Its parent
 * is the first record's context and the other records' contexts are links, so one span costs a
 * chunk, not a record. `fn` gets the chunk with its first record's trace headers replaced by the
 * span's own context (a shallow copy; every other record is the same object): the outputs of that
 * record continue the trace through this span, every other record's outputs keep their input's
 * context, so no trace id is lost. Callers map `input[0]` back to `records[0]` where identity
 * matters (dead letters keep the original record's headers).
 */
export function traceChunk<R>(records: InboundRecord[], groupId: string, fn: (input: InboundRecord[]) => Promise<R>): Promise<R> {
  const first = records[0];
  if (!tracer || !first) return fn(records);
  const parent = contextFromHeaders(first.headers);
  const parentId = trace.getSpanContext(parent)?.spanId;
  const links: Link[] = [];
  const seen = new Set<string>();
  for (let i = 1; i < records.length && links.length < MAX_LINKS; i++) {
    const tp = records[i]!.headers[TraceHeaders.traceparent];
    if (tp === undefined || seen.has(tp)) continue;
    seen.add(tp);
    const sc = trace.getSpanContext(propagation.extract(ROOT_CONTEXT, records[i]!.headers));
    if (sc && sc.spanId !== parentId) links.push({ context: sc });
  }
  const attributes: Attributes = {
    'messaging.system': 'kafka',
    'messaging.operation.type': 'process',
    'messaging.operation.name': 'process',
    'messaging.destination.name': first.topic,
    'messaging.destination.partition.id': String(first.partition),
    'messaging.batch.message_count': records.length,
    'messaging.kafka.offset': Number(first.offset),
  };
  if (groupId) attributes['messaging.consumer.group.name'] = groupId;
  const span = tracer.startSpan(`process ${first.topic}`, { kind: SpanKind.CONSUMER, attributes, links }, parent);
  const ctx = trace.setSpan(parent, span);
  const headers: Headers = { ...first.headers };
  delete headers[TraceHeaders.traceparent];
  delete headers[TraceHeaders.tracestate];
  const input = records.slice();
  input[0] = { ...first, headers: injectTraceHeaders(ctx, headers) };
  return context.with(ctx, () => ended(span, () => fn(input)));
}

/** Sets attributes on the active span (an HTTP status known only at the end); nothing without one. */
export function setActiveSpanAttributes(attributes: Attributes): void {
  if (tracer) trace.getActiveSpan()?.setAttributes(attributes);
}

/**
 * The pino mixin of the shared logger: `trace_id` and `span_id` of the active span on a line
 * written inside a traced operation; nothing otherwise (and nothing at all with tracing off). A
 * fresh object each time: pino merges the line's fields into it.
 */
export function traceLogFields(): Record<string, string> {
  if (!tracer) return {};
  const sc = trace.getSpanContext(context.active());
  return sc ? { trace_id: sc.traceId, span_id: sc.spanId } : {};
}

export { SpanKind };
