/**
 * @fleetstream/trace-collector — a small OTLP/HTTP trace receiver. Importing the package gives the
 * factory (tests and the demo run it in process); running this file (`node src/index.ts`) starts
 * it from the environment (compose, k8s local).
 */
import { main } from './main.ts';

export { createTraceCollector } from './collector.ts';
export type { TraceCollector, TraceCollectorOptions } from './collector.ts';
export { TraceStore, traceHops, summarize, byStart, spanJson } from './trace-store.ts';
export type { StoredTrace, TraceSummary, TraceHop, TraceStoreOptions } from './trace-store.ts';
export { decodeTraceRequestProtobuf } from './otlp-protobuf.ts';
export { decodeTraceRequestJson } from './otlp-json.ts';
export { collectorConfigSchema, loadCollectorConfig } from './config.ts';
export type { CollectorConfig } from './config.ts';
export { CollectorError, TraceCollectorErrorCodes } from './errors.ts';
export type { TraceCollectorErrorCode } from './errors.ts';
export type { CollectedSpan, Attributes, AttributeValue } from './types.ts';

if (import.meta.main) main();
