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
export { createConfluentClient, loadConfluentModule } from './kafka/confluent-client.ts';
export type { ConfluentModule } from './kafka/confluent-client.ts';
export { loadConfig, env, baseConfigShape, consumerConfigShape, baseConfigSchema, consumerConfigSchema } from './config.ts';
export type { BaseConfig, ConsumerConfig } from './config.ts';
export { createLogger } from './logger.ts';
export { createStreamMetrics } from './metrics.ts';
export type { StreamMetrics } from './metrics.ts';
export { startHealthServer } from './health-server.ts';
export type { HealthServer, ReadinessCheck } from './health-server.ts';
export { ConsumerRunner } from './consumer-runner.ts';
export type { BatchHandler, HandlerContext, ThrottleOptions, ConsumerRunnerOptions } from './consumer-runner.ts';
export { createConsumerService } from './consumer-service.ts';
export { monitoredConsumer, timedHandler, LagMonitor, DEFAULT_LAG_INTERVAL_MS } from './lag-monitor.ts';
export type { LagMonitorDeps, LagMonitorOptions } from './lag-monitor.ts';
export type { ConsumerServiceOptions } from './consumer-service.ts';
export { kafkaStageHandler, transactionalStageHandler, createKafkaStageService } from './stage.ts';
export type { Transform, TransformResult } from './stage.ts';
export { DlqWriter, DLQ_TOPIC, DlqHeaders, toDlqRecord } from './dlq.ts';
export type { DeadLetter } from './dlq.ts';
export { startService, main, kafkaConnection, packageVersion } from './service-host.ts';
export type { Service, ServiceDeps, ServiceDefinition } from './service-host.ts';
export { OffsetTracker } from './offset-tracker.ts';
export { TokenBucket } from './token-bucket.ts';
export { backoffDelay } from './backoff.ts';
export { AdaptiveConcurrency } from './adaptive-concurrency.ts';
export type { AdaptiveConcurrencyOptions } from './adaptive-concurrency.ts';
export { AsyncOperator } from './async-operator.ts';
export type { AsyncMode, AsyncOperatorOptions, AsyncFailure, AsyncResult } from './async-operator.ts';
export { runStageBench, benchTopics, benchProduce, writeBenchResults, printMeasures, percentile } from './bench-kit.ts';
export type { BenchMeasure, StageRun } from './bench-kit.ts';
