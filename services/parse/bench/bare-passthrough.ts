/**
 * The bare-client baseline of parse-cost.ts, run as its own process: kafkajs alone copies every
 * record of INPUT_TOPIC (key, value, headers: the same bytes) to OUTPUT_TOPIC with an idempotent
 * acks=all producer, one sendBatch per fetched partition batch, offsets committed by kafkajs after
 * the batch resolved. No libs/stream, no decoding: what a consume -> produce costs on this client.
 */
import kafkajs from 'kafkajs';

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
    const messages = batch.messages.map((m) => ({ key: m.key, value: m.value, headers: m.headers }));
    await producer.sendBatch({ topicMessages: [{ topic: output, messages }], acks: -1 });
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
