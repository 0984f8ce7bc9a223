// @servers kafka
import { coalescingProducer } from '../src/index.ts';
import { createTopics, readAll, streamClient, suffix, suiteClient } from './helpers/kafka.ts';

describe(`coalescingProducer on a real broker (${suiteClient})`, () => {
  test('twelve partition chunks sent in one turn are one request, and every record lands in its partition in order', async () => {
    // Prepare
    const topic = `coalesce-${suffix()}`;
    await createTopics([topic], 12);
    const inner = streamClient(`coalesce-${suffix()}`).producer();
    const producer = coalescingProducer(inner);
    await producer.connect();
    const chunks = Array.from({ length: 12 }, (_, p) => Array.from({ length: 25 }, (_, i) => ({ topic, partition: p, key: `dev-${p}`, value: Buffer.from(`${p}:${i}`) })));

    // Act
    try {
      await Promise.all(chunks.map((c) => producer.send(c)));
    } finally {
      await producer.disconnect();
    }

    // Assess
    expect(producer.requests).toBe(1);
    const read = await readAll(topic, (v) => v.length >= 300);
    expect(read).toHaveLength(300);
    const byPartition = new Map<string, number[]>();
    for (const { value } of read) {
      const [p, i] = value.split(':');
      byPartition.set(p!, [...(byPartition.get(p!) ?? []), Number(i)]);
    }
    expect([...byPartition.keys()].sort()).toEqual(Array.from({ length: 12 }, (_, p) => String(p)).sort());
    for (const seq of byPartition.values()) expect(seq).toEqual(Array.from({ length: 25 }, (_, i) => i));
  });
});
