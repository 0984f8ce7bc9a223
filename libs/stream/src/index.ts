/**
 * @fleetstream/stream — the runtime every fleetstream service stands on. Services import this
 * package, never kafkajs.
 */
export * from './errors.ts';
export type * from './types.ts';
export type * from './kafka/types.ts';
export { createKafkajsClient } from './kafka/kafkajs-client.ts';
// The @platformatic/kafka client is at '@fleetstream/stream/platformatic': importing it costs about a
// second and 40 MB at start, which no service on kafkajs should pay.
export { loadConfig, env, baseConfigShape, consumerConfigShape, exactlyOnceConfigShape, exactlyOnceFromConfig, baseConfigSchema, consumerConfigSchema } from './config.ts';
export type { BaseConfig, ConsumerConfig } from './config.ts';
export { createLogger } from './logger.ts';
export { startTracing, installTracing, tracingEnabled, withSpan, traceChunk, contextFromHeaders, injectTraceHeaders, copyTraceHeaders, setActiveSpanAttributes, traceLogFields, TraceHeaders, SpanKind } from './tracing.ts';
export type { Tracing, InstallTracingOptions } from './tracing.ts';
export { tracingConfigShape, tracingSettings } from './tracing-config.ts';
export type { TracingConfig, TracingSettings } from './tracing-config.ts';
export { createStreamMetrics } from './metrics.ts';
export type { StreamMetrics } from './metrics.ts';
export { startHealthServer } from './health-server.ts';
export type { HealthServer, ReadinessCheck } from './health-server.ts';
export { ConsumerRunner } from './consumer-runner.ts';
export type { BatchHandler, HandlerContext, ThrottleOptions, ConsumerRunnerOptions } from './consumer-runner.ts';
export { createConsumerService, consumerGroup } from './consumer-service.ts';
export { monitoredConsumer, timedHandler, LagMonitor, DEFAULT_LAG_INTERVAL_MS } from './lag-monitor.ts';
export type { LagMonitorDeps, LagMonitorOptions } from './lag-monitor.ts';
export type { ConsumerServiceOptions } from './consumer-service.ts';
export { createStage, kafkaStageHandler, createKafkaStageService } from './stage.ts';
export type { Transform, TransformResult, StageOptions } from './stage.ts';
export type { Sink, SinkContext, StageResult } from './sink.ts';
export { kafkaSink, producerSink } from './kafka-sink.ts';
export { coalescingProducer } from './coalescing-producer.ts';
export type { KafkaSinkOptions } from './kafka-sink.ts';
export { cassandraSink, CqlWriter } from './cassandra-sink.ts';
export type { CassandraSinkOptions, CqlCall, CqlClient, CqlOptions, CqlStatement, CqlWriterOptions } from './cassandra-sink.ts';
export { DlqWriter, DLQ_TOPIC, DlqHeaders, toDlqRecord } from './dlq.ts';
export type { DeadLetter } from './dlq.ts';
export { startService, main, kafkaConnection, createKafkaClient, packageVersion } from './service-host.ts';
export type { Service, ServiceDeps, ServiceDefinition } from './service-host.ts';
export { OffsetTracker } from './offset-tracker.ts';
export { TokenBucket } from './token-bucket.ts';
export { backoffDelay } from './backoff.ts';
export { AdaptiveConcurrency } from './adaptive-concurrency.ts';
export type { AdaptiveConcurrencyOptions } from './adaptive-concurrency.ts';
export { AsyncOperator } from './async-operator.ts';
export type { AsyncOperatorOptions, AsyncOperatorHooks, AsyncRetryOptions, AsyncFailure, AsyncResult, OperatorClock } from './async-operator.ts';
