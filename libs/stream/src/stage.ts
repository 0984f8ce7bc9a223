import type { InboundRecord, OutboundRecord } from './types.ts';
import type { StreamProducer } from './kafka/types.ts';
import type { StreamMetrics } from './metrics.ts';
import type { BatchHandler, ConsumerRunner } from './consumer-runner.ts';
import type { DlqWriter } from './dlq.ts';
import type { ConsumerConfig } from './config.ts';
import type { ServiceDeps, Service } from './service-host.ts';
import { consumerGroup, createConsumerService } from './consumer-service.ts';
import { kafkaSink, producerSink } from './kafka-sink.ts';
import type { Sink, SinkContext, StageResult } from './sink.ts';
import { traceChunk, tracingEnabled } from './tracing.ts';

/** What a transformation makes of a chunk for a Kafka sink. */
export type TransformResult = StageResult<OutboundRecord>;

/** A stage's one transformation: a chunk of input records to outputs and dead letters. */
export type Transform<T = OutboundRecord> = (records: InboundRecord[]) => StageResult<T> | Promise<StageResult<T>>;

/** Options of {@link createStage}. */
export interface StageOptions<T> {
  input: {
    topics: string[];
    /** Defaults to CONSUMER_GROUP, else `fleetstream-<service>`. */
    groupId?: string;
    /** Default true. */
    fromBeginning?: boolean;
  };
  transform: Transform<T>;
  sink: Sink<T>;
  /** Runs after the sink started and before the first record is read (e.g. rebuild a reference table). */
  before?: () => Promise<void>;
  /** Runs after the consumer stopped and before the sink stops (close what `before` opened). */
  after?: () => Promise<void>;
  /** Readiness checks (/readyz) besides "partitions assigned", by name. */
  ready?: Record<string, () => boolean>;
}

/**
 * The one shape of a consuming service: input -> transform -> sink.
 *
 * The runner hands the stage chunks of a partition; each chunk is transformed and written, and
 * its offsets become committable only when the sink resolved. Errors follow errors.ts: retryable
 * ones are retried with backoff, a fatal one (the sink cannot work) stops the service, and any
 * other is the records' own: the chunk is done again record by record, and a record that fails
 * alone goes to the DLQ through the sink with its reason while the partition goes on.
 *
 * @example
 * createStage(deps, { input: { topics: ['telemetry.raw'] }, transform: parseTransform('telemetry.parsed'), sink: kafkaSink(deps) });
 */
export function createStage<T>(deps: ServiceDeps<ConsumerConfig>, options: StageOptions<T>): Service & { runner: ConsumerRunner } {
  const { sink, transform } = options;
  const groupId = consumerGroup(deps, options.input.groupId);
  for (const [name, check] of Object.entries(options.ready ?? {})) deps.health.setReadiness(name, check);
  return createConsumerService(deps, {
    topics: options.input.topics,
    groupId,
    fromBeginning: options.input.fromBeginning,
    commitOffsets: !sink.commitsOffsets,
    handler: chunkHandler(transform, sink.write.bind(sink), groupId),
    deadLetter: (letters, ctx) => sink.write({ out: [], dead: letters }, letters.map((l) => l.record), { groupId, signal: ctx.signal }),
    before: async () => {
      await sink.start();
      await options.before?.();
    },
    after: async () => {
      await options.after?.();
      await sink.stop();
    },
  });
}

/**
 * A whole Kafka -> Kafka service around one transformation: {@link createStage} with a
 * {@link kafkaSink} (idempotent acks=all producer; `exactlyOnce` = Kafka transactions with the
 * transactional id given).
 */
export function createKafkaStageService(
  deps: ServiceDeps<ConsumerConfig>,
  options: { inputTopics: string[]; transform: Transform; groupId?: string; exactlyOnce?: { transactionalId: string } },
): Service & { runner: ConsumerRunner } {
  return createStage(deps, { input: { topics: options.inputTopics, groupId: options.groupId }, transform: options.transform, sink: kafkaSink(deps, { exactlyOnce: options.exactlyOnce }) });
}

/**
 * A batch handler of transform + Kafka sink on a producer the caller owns, for benches and tests
 * that drive a ConsumerRunner themselves (services use {@link createStage}).
 */
export function kafkaStageHandler(options: { transform: Transform; producer: StreamProducer; dlq: DlqWriter; metrics: StreamMetrics }): BatchHandler {
  const { write } = producerSink(options.producer, options.dlq, options.metrics);
  return chunkHandler(options.transform, write, '');
}

/**
 * transform + write of one chunk; with tracing on, inside the chunk's span (tracing.ts
 * `traceChunk`): the transform sees the first record carrying the span's context, and its dead
 * letters are mapped back to the original record so the DLQ keeps the input's own headers.
 */
function chunkHandler<T>(transform: Transform<T>, write: Sink<T>['write'], groupId: string): BatchHandler {
  return async (records, ctx) => {
    const sinkCtx: SinkContext = { groupId, signal: ctx.signal };
    if (!tracingEnabled()) return write(await transform(records), records, sinkCtx);
    return traceChunk(records, groupId, async (input) => {
      const result = await transform(input);
      if (input[0] !== records[0]) for (const d of result.dead) if (d.record === input[0]) d.record = records[0]!;
      return write(result, records, sinkCtx);
    });
  };
}
