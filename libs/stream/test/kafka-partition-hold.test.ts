// @servers kafka
import { createTopics, deleteTopics, produce } from '@fleetstream/test-kit';
import type { PartitionBatch } from '../src/index.ts';
import { streamClient, suffix } from './helpers/kafka.ts';

const PARTITIONS = 4;
const PER_PARTITION = 5_000;
const VALUE = 'x'.repeat(200);

/**
 * The runtime holds a partition's batch handler while its chunk waits on the throttle, the
 * in-flight cap or the sink; the consumer must not keep fetching without bound meanwhile. kafkajs
 * does it by not fetching past its running batches; @platformatic/kafka has no per-partition
 * pause, so its adapter pauses the whole stream once `maxBytes` wait in its buffers. Either way the
 * other partitions get a bounded head start, not the whole topic, and nothing is lost or reordered
 * once the hold ends.
 */
describe.each(['kafkajs', 'platformatic'] as const)('a partition held by its handler on %s', (name) => {
  test('holds fetching (the other partitions get a bounded head start), then every record arrives once and in order', async () => {
    // Prepare: 4 partitions of 5,000 records of ~200 bytes (~1 MB each)
    const topic = `hold-${suffix()}`;
    await createTopics([topic], PARTITIONS);
    await produce(
      topic,
      Array.from({ length: PARTITIONS * PER_PARTITION }, (_, i) => ({ key: null, value: `${VALUE}${i}`, partition: i % PARTITIONS })),
      2_500,
    );
    const client = streamClient(`hold-${suffix()}`, name);
    const consumer = client.consumer({ groupId: `hold-${suffix()}`, topics: [topic], maxBytes: 64 * 1024, maxBytesPerPartition: 16 * 1024, partitionsConsumedConcurrently: PARTITIONS });
    let release: () => void = () => undefined;
    const released = new Promise<void>((r) => (release = r));
    const seen = new Map<number, number[]>();
    let othersWhileHeld = 0;
    let held = false;
    let holding = false;
    await consumer.connect();

    // Act: the first batch of partition 0 waits until released; the others are done at once
    await consumer.run(async (batch: PartitionBatch, control) => {
      const list = seen.get(batch.partition) ?? [];
      seen.set(batch.partition, list);
      for (const r of batch.records) list.push(Number(r.offset));
      if (batch.partition === 0 && !held) {
        held = holding = true;
        await released;
        holding = false;
      } else if (holding) othersWhileHeld += batch.records.length;
      control.resolveOffset(batch.lastOffset);
    });
    await waitUntil(() => held);
    await new Promise((r) => setTimeout(r, 5_000));
    const headStart = othersWhileHeld;
    release();
    await waitUntil(() => [...seen.values()].reduce((a, l) => a + l.length, 0) >= PARTITIONS * PER_PARTITION, 120_000);
    await consumer.disconnect();

    // Assess: a bounded head start while held (a fraction of the 15,000 other records), then all of them once, in order
    expect(headStart).toBeLessThan((PARTITIONS - 1) * PER_PARTITION * 0.5);
    for (let p = 0; p < PARTITIONS; p++) expect(seen.get(p)).toEqual(Array.from({ length: PER_PARTITION }, (_, i) => i));
    await deleteTopics([topic]);
  }, 180_000);
});

async function waitUntil(done: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}
