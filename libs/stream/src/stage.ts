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
 * The transactional variant (consume-transform-produce): a chunk's outputs, its dead letters and
 * the partition's next offset go in one Kafka transaction, so read_committed consumers downstream
 * see each input's outputs exactly once across crashes. Transactions of one producer run one at a
 * time, so chunks of all partitions are serialized here (throughput is lower than at-least-once).
 * kafkajs sends offsets without the consumer group's generation (no KIP-447), so a zombie of an
 * old generation is fenced only by the transactional id: give each instance a stable one.
 */
export function transactionalStageHandler(options: { transform: Transform; producer: StreamProducer; dlq: DlqWriter; metrics: StreamMetrics; groupId: string }): BatchHandler {
  const { transform, producer, dlq, metrics, groupId } = options;
  const svc = metrics.service;
  let chain: Promise<unknown> = Promise.resolve();
  return (records) => {
    const run = chain.then(async () => {
      const { out, dead } = await transform(records);
      const last = records[records.length - 1]!;
      const tx = await producer.transaction();
      try {
        await tx.send(dead.length > 0 ? out.concat(dlq.records(dead)) : out);
        await tx.sendOffsets(groupId, [{ topic: last.topic, partition: last.partition, offset: (BigInt(last.offset) + 1n).toString() }]);
        await tx.commit();
      } catch (err) {
        await tx.abort().catch(() => undefined);
        throw err;
      }
      dlq.count(dead);
      if (out.length > 0) metrics.recordsOut.inc({ service: svc, topic: out[0]!.topic }, out.length);
    });
    chain = run.catch(() => undefined);
    return run;
  };
}

/**
 * A whole Kafka -> Kafka service around one transformation: consumer, producer (idempotent,
 * acks=all), DLQ, readiness, drain and commit on stop. `exactlyOnce` switches to Kafka
 * transactions (see transactionalStageHandler) with the transactional id given.
 */
export function createKafkaStageService(
  deps: ServiceDeps<ConsumerConfig>,
  options: { inputTopics: string[]; transform: Transform; groupId?: string; exactlyOnce?: { transactionalId: string } },
): Service & { runner: ConsumerRunner } {
  const groupId = options.groupId ?? deps.config.CONSUMER_GROUP ?? `fleetstream-${deps.name}`;
  const producer = deps.kafka.producer(options.exactlyOnce ? { transactionalId: options.exactlyOnce.transactionalId } : {});
  const dlq = new DlqWriter(producer, deps.metrics, { topic: deps.config.DLQ_TOPIC });
  const handler = options.exactlyOnce
    ? transactionalStageHandler({ transform: options.transform, producer, dlq, metrics: deps.metrics, groupId })
    : kafkaStageHandler({ transform: options.transform, producer, dlq, metrics: deps.metrics });
  return createConsumerService(deps, {
    topics: options.inputTopics,
    groupId,
    handler,
    commitOffsets: !options.exactlyOnce,
    before: () => producer.connect(),
    after: () => producer.disconnect(),
  });
}
