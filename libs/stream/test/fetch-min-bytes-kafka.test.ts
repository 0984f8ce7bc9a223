// @servers kafka
import { createTopics, produce, suffix } from '@fleetstream/test-kit';
import type { ConsumerOptions } from '../src/kafka/types.ts';
import { streamClient } from './helpers/kafka.ts';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Subscribes with `fetch`, waits for the assignment, then produces 10 records one by one, 100 ms
 * apart, and returns the sizes of the batches the handler got them in.
 */
async function batchSizes(client: 'kafkajs' | 'platformatic', fetch: Pick<ConsumerOptions, 'minBytes' | 'maxWaitMs'>): Promise<number[]> {
  const topic = `min-bytes-${suffix()}`;
  await createTopics([{ topic, partitions: 1 }]);
  const consumer = streamClient(`min-bytes-${suffix()}`, client).consumer({ groupId: `min-bytes-${suffix()}`, topics: [topic], ...fetch });
  const assigned = new Promise<void>((resolve) => consumer.onAssigned(() => resolve()));
  const sizes: number[] = [];
  let seen = 0;
  let all!: () => void;
  const done = new Promise<void>((resolve) => (all = resolve));
  await consumer.connect();
  void consumer.run(async (batch, control) => {
    if (batch.records.length === 0) return;
    sizes.push(batch.records.length);
    control.resolveOffset(batch.records.at(-1)!.offset);
    seen += batch.records.length;
    if (seen >= 10) all();
  });
  try {
    await assigned;
    await sleep(300); // the first fetch is at the broker
    for (let i = 0; i < 10; i++) {
      await produce(topic, [{ key: 'dev-1', value: `record-${i}` }]);
      await sleep(100);
    }
    await done;
    return sizes;
  } finally {
    await consumer.disconnect();
  }
}

// FETCH_MIN_BYTES reaches the broker on both clients: a fetch is held until that many bytes are
// there or FETCH_MAX_WAIT_MS passed, so records produced over ~1 s come in one or two fetches
// (the held fetch may have started before the first record); with 1 byte, each comes on its own.
describe.each(['kafkajs', 'platformatic'] as const)('FETCH_MIN_BYTES on %s', (client) => {
  test('a fetch waits for its bytes (up to the wait) and carries what arrived meanwhile', async () => {
    // Prepare: 10 records of ~10 bytes, far below 1 MB; the wait (8 s) outlasts their ~1 s
    // Act
    const held = await batchSizes(client, { minBytes: 1_048_576, maxWaitMs: 8_000 });
    const eager = await batchSizes(client, { minBytes: 1, maxWaitMs: 8_000 });
    // Assert: every record came once; min bytes gathered them, 1 byte did not
    expect(held.reduce((a, b) => a + b, 0)).toBe(10);
    expect(held.length).toBeLessThanOrEqual(2);
    expect(eager.reduce((a, b) => a + b, 0)).toBe(10);
    expect(eager.length).toBeGreaterThanOrEqual(5);
  }, 90_000);
});
