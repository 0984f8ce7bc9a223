import type { OutboundRecord } from './types.ts';
import type { StreamProducer, StreamTransaction } from './kafka/types.ts';
import type { StreamMetrics } from './metrics.ts';
import type { BaseConfig } from './config.ts';
import type { ServiceDeps } from './service-host.ts';
import { coalescingProducer } from './coalescing-producer.ts';
import { DlqWriter } from './dlq.ts';
import { StreamError } from './errors.ts';
import type { Sink } from './sink.ts';

/** Options of {@link kafkaSink}. */
export interface KafkaSinkOptions {
  /**
   * Consume-transform-produce in Kafka transactions with this (stable, per instance)
   * transactional id: outputs, dead letters and the input offsets commit together.
   */
  exactlyOnce?: { transactionalId: string };
}

/**
 * The Kafka sink of a stage: outputs and dead letters of a chunk go out in one acks=all request
 * of an idempotent producer (with the other chunks that send in the same event-loop turn: the
 * partition chunks of one fetch share a request), and the chunk is done (its offsets committable) only when Kafka
 * acknowledged them. At-least-once: a crash between produce and commit repeats records, and
 * deterministic keys and event ids make the repeats collapse downstream. It has no retry loop of
 * its own: kafkajs retries inside a send, and a failed send is a retryable STREAM_PRODUCE_FAILED
 * that the runner sends again (its one loop); a fatal cause (no permission, unknown topic) stops
 * the service.
 *
 * With `exactlyOnce`, a chunk's outputs, its dead letters and the partition's next offset go in one
 * Kafka transaction, so read_committed consumers downstream see each input's outputs exactly once
 * across crashes. Transactions of one producer run one at a time, so chunks of all partitions are
 * serialized (throughput is lower than at-least-once). kafkajs sends offsets without the consumer
 * group's generation (no KIP-447), so a zombie of an old generation is fenced only by the
 * transactional id: give each instance a stable one. @platformatic/kafka sends the generation
 * (KAFKA_CLIENT=platformatic): a member that lost the partition cannot commit it.
 */
export function kafkaSink(deps: Pick<ServiceDeps, 'kafka' | 'metrics'> & { config: Readonly<BaseConfig & { DLQ_TOPIC?: string }> }, options: KafkaSinkOptions = {}): Sink<OutboundRecord> {
  // At-least-once: the chunks of one fetch share a request (coalescing-producer.ts); a
  // transaction is one chunk's by design.
  const producer = options.exactlyOnce ? deps.kafka.producer({ transactionalId: options.exactlyOnce.transactionalId }) : coalescingProducer(deps.kafka.producer());
  const dlq = new DlqWriter(producer, deps.metrics, { topic: deps.config.DLQ_TOPIC });
  return { ...producerSink(producer, dlq, deps.metrics, { transactional: options.exactlyOnce !== undefined }), start: () => producer.connect(), stop: () => producer.disconnect() };
}

/** The delivery of {@link kafkaSink} on a producer the caller owns (benches, the handler below). */
export function producerSink(producer: StreamProducer, dlq: DlqWriter, metrics: StreamMetrics, options: { transactional?: boolean } = {}): Pick<Sink<OutboundRecord>, 'write' | 'commitsOffsets'> {
  const svc = metrics.service;
  const countOut = (out: OutboundRecord[]) => {
    if (out.length === 0) return;
    const byTopic = new Map<string, number>();
    for (const r of out) byTopic.set(r.topic, (byTopic.get(r.topic) ?? 0) + 1);
    for (const [topic, n] of byTopic) metrics.recordsOut.inc({ service: svc, topic }, n);
  };
  if (!options.transactional) {
    return {
      write: async ({ out, dead }) => {
        await producer.send(dead.length > 0 ? out.concat(dlq.records(dead)) : out);
        dlq.count(dead);
        countOut(out);
      },
    };
  }
  let chain: Promise<unknown> = Promise.resolve();
  return {
    commitsOffsets: true,
    write: ({ out, dead }, records, ctx) => {
      const run = chain.then(async () => {
        const last = records[records.length - 1];
        let tx: StreamTransaction | undefined;
        try {
          tx = await producer.transaction();
          await tx.send(dead.length > 0 ? out.concat(dlq.records(dead)) : out);
          // A source (no input records) commits its outputs only; a stage its input offsets too.
          if (last) await tx.sendOffsets(ctx.groupId, [{ topic: last.topic, partition: last.partition, offset: (BigInt(last.offset) + 1n).toString() }]);
          await tx.commit();
        } catch (err) {
          await tx?.abort().catch(() => undefined);
          // Like a failed send: the sink's failure, retryable (errors.ts still finds a fatal or a record-blaming cause).
          throw new StreamError('STREAM_PRODUCE_FAILED', `transaction of ${out.length + dead.length} records failed: ${(err as Error).message}`, { retryable: true, cause: err });
        }
        dlq.count(dead);
        countOut(out);
      });
      chain = run.catch(() => undefined);
      return run;
    },
  };
}
