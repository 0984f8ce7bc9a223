/**
 * @fleetstream/test-kit/memory-kafka — an in-memory Kafka behind libs/stream's client port, for
 * unit tests of the runtime that need no broker. It imports libs/stream's types only (no runtime
 * code), so the kit stays free of a dependency cycle with libs/stream's tests.
 */
export { MemoryKafka, kafkaError } from './memory-kafka.ts';
export type { CommitEntry, Interceptors, MemoryKafkaOptions } from './memory-kafka.ts';
export { MemoryConsumer } from './consumer.ts';
export { MemoryProducer } from './producer.ts';
export { Latch } from './latch.ts';
