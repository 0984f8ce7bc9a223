/**
 * The bare-client baseline of parse-cost.ts, run as its own process: kafkajs alone copies every
 * record of INPUT_TOPIC (key, value, headers: the same bytes) to OUTPUT_TOPIC with an idempotent
 * acks=all producer, one sendBatch per fetched partition batch (in slices of at most 512 KiB, as
 * libs/stream's adapters send: a whole 1 MiB partition fetch re-sent as one record batch exceeds the
 * broker's message.max.bytes), offsets committed by kafkajs after the batch resolved. No libs/stream,
 * no decoding: what a consume -> produce costs on this client.
 */
import kafkajs, { type Message } from 'kafkajs';

const { Kafka, logLevel, Partitioners } = kafkajs;
const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
};
const kafka = new Kafka({ clientId: 'bare-passthrough', brokers: env('KAFKA_BROKERS').split(','), logLevel: logLevel.NOTHING });
const output = env('OUTPUT_TOPIC');
const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 5, createPartitioner: Partitioners.DefaultPartitioner });
const consumer = kafka.consumer({ groupId: env('CONSUMER_GROUP'), maxBytes: 10_485_760, maxBytesPerPartition: 1_048_576, maxWaitTimeInMs: 500 });
await producer.connect();
await consumer.connect();
await consumer.subscribe({ topic: env('INPUT_TOPIC'), fromBeginning: true });
await consumer.run({
  partitionsConsumedConcurrently: Number(process.env.PARTITIONS_CONCURRENCY ?? 12),
  eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
    let messages: Message[] = [];
    let bytes = 0;
    for (const m of batch.messages) {
      const size = (m.key?.length ?? 0) + (m.value?.length ?? 0) + 70;
      if (messages.length > 0 && bytes + size > 512 * 1024) {
        await producer.sendBatch({ topicMessages: [{ topic: output, messages }], acks: -1 });
        messages = [];
        bytes = 0;
      }
      messages.push({ key: m.key, value: m.value, headers: m.headers });
      bytes += size;
    }
    if (messages.length > 0) await producer.sendBatch({ topicMessages: [{ topic: output, messages }], acks: -1 });
    resolveOffset(batch.lastOffset());
    await heartbeat();
  },
});
const stop = async () => {
  await consumer.disconnect();
  await producer.disconnect();
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
