import type { InboundRecord, OutboundRecord } from './types.ts';
import type { StreamProducer } from './kafka/types.ts';
import type { StreamMetrics } from './metrics.ts';
import type { BatchHandler } from './consumer-runner.ts';
import { DlqWriter, type DeadLetter } from './dlq.ts';
import type { ConsumerConfig } from './config.ts';
import type { ServiceDeps, Service } from './service-host.ts';
import { createConsumerService } from './consumer-service.ts';
import type { ConsumerRunner } from './consumer-runner.ts';

/** What a transformation makes of a chunk: records to produce and inputs that failed for good. */
export interface TransformResult {
  out: OutboundRecord[];
  dead: DeadLetter[];
}

export type Transform = (records: InboundRecord[]) => TransformResult | Promise<TransformResult>;

/**
 * Turns a transformation into a batch handler for a Kafka -> Kafka stage: outputs and dead
 * letters go out in one acks=all request; the chunk is done (and its offsets committable) only
 * when Kafka acknowledged them. At-least-once: a crash between produce and commit repeats
 * records, and deterministic keys and event ids make the repeats collapse downstream.
 */
export function kafkaStageHandler(options: { transform: Transform; producer: StreamProducer; dlq: DlqWriter; metrics: StreamMetrics }): BatchHandler {
  const { transform, producer, dlq, metrics } = options;
  const svc = metrics.service;
  return async (records) => {
    const { out, dead } = await transform(records);
    const all = dead.length > 0 ? out.concat(dlq.records(dead)) : out;
    await producer.send(all);
    dlq.count(dead);
    if (out.length > 0) {
      const byTopic = new Map<string, number>();
      for (const r of out) byTopic.set(r.topic, (byTopic.get(r.topic) ?? 0) + 1);
      for (const [topic, n] of byTopic) metrics.recordsOut.inc({ service: svc, topic }, n);
    }
  };
}


/**
 * A whole Kafka -> Kafka service around one transformation: consumer, producer (idempotent,
 * acks=all), DLQ, readiness, drain and commit on stop.
 */
export function createKafkaStageService(
  deps: ServiceDeps<ConsumerConfig>,
  options: { inputTopics: string[]; transform: Transform; groupId?: string },
): Service & { runner: ConsumerRunner } {
  const producer = deps.kafka.producer();
  const dlq = new DlqWriter(producer, deps.metrics);
  return createConsumerService(deps, {
    topics: options.inputTopics,
    groupId: options.groupId,
    handler: kafkaStageHandler({ transform: options.transform, producer, dlq, metrics: deps.metrics }),
    before: () => producer.connect(),
    after: () => producer.disconnect(),
  });
}
