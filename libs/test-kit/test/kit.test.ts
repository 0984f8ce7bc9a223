// @servers kafka
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  committedOffsets,
  createTopics,
  deleteTopics,
  produce,
  rawKafka,
  readTopic,
  scrapeMetric,
  suffix,
  waitFor,
} from '../src/index.ts';

describe('topics on the real broker', () => {
  const topic = `kit-${suffix()}`;
  beforeAll(async () => {
    await createTopics([{ topic, partitions: 3 }]);
    await produce(topic, [
      { key: 'a', value: 'one', headers: { h: '1' } },
      { key: 'b', value: Buffer.from([0, 255]) },
      { key: 'a', value: null },
    ]);
  });
  afterAll(() => deleteTopics([topic]));

  test('reads back every record with its key, bytes, headers and partition', async () => {
    const records = await readTopic(topic, { count: 3 });
    const byValue = records.map((r) => ({
      key: r.key,
      value: r.value?.toString('hex') ?? null,
      headers: r.headers,
    }));
    expect(byValue).toEqual(
      expect.arrayContaining([
        { key: 'a', value: Buffer.from('one').toString('hex'), headers: { h: '1' } },
        { key: 'b', value: '00ff', headers: {} },
        { key: 'a', value: null, headers: {} },
      ]),
    );
    // One key, one partition: the tombstone follows the value it deletes.
    const a = records.filter((r) => r.key === 'a');
    expect(new Set(a.map((r) => r.partition)).size).toBe(1);
    expect(BigInt(a[1]!.offset)).toBeGreaterThan(BigInt(a[0]!.offset));
  });

  test('without a count, reads what the topic holds at the call', async () => {
    expect(await readTopic(topic)).toHaveLength(3);
    const empty = `kit-empty-${suffix()}`;
    await createTopics([empty]);
    expect(await readTopic(empty)).toEqual([]);
    await deleteTopics([empty]);
  });

  test('without a count, a transactional topic is read to its end: committed records only, markers passed', async () => {
    // Prepare: a committed and an aborted transaction; markers take offsets, so offsets outnumber records
    const tx = `kit-tx-${suffix()}`;
    await createTopics([{ topic: tx, partitions: 2 }]);
    const producer = rawKafka().producer({
      transactionalId: `kit-${suffix()}`,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    for (const [outcome, values] of [
      ['commit', ['c1', 'c2', 'c3']],
      ['abort', ['a1']],
    ] as const) {
      const t = await producer.transaction();
      await t.send({ topic: tx, messages: values.map((value) => ({ key: value, value })) });
      await (outcome === 'commit' ? t.commit() : t.abort());
    }
    await producer.disconnect();

    // Act
    const records = await readTopic(tx, { timeoutMs: 20_000 });

    // Assess
    expect(records.map((r) => r.value!.toString()).sort()).toEqual(['c1', 'c2', 'c3']);
    await deleteTopics([tx]);
  });

  test('a read that cannot finish rejects saying how far it got, or returns that much', async () => {
    await expect(readTopic(topic, { count: 5, timeoutMs: 3_000 })).rejects.toThrow(
      `read 3 of 5 records of ${topic} in 3000 ms`,
    );
    expect(
      await readTopic(topic, { until: () => false, timeoutMs: 3_000, onTimeout: 'return' }),
    ).toHaveLength(3);
  });

  test("a group's committed offsets, and -1 for partitions it never committed", async () => {
    const groupId = `kit-group-${suffix()}`;
    const consumer = rawKafka().consumer({ groupId });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let seen = 0;
    await consumer.run({ eachMessage: async () => void seen++ });
    await waitFor(() => seen === 3, 'the consumer to read 3 records');
    await consumer.disconnect(); // commits what it read
    const perPartition = new Map<number, bigint>([0, 1, 2].map((p) => [p, -1n]));
    for (const r of await readTopic(topic, { count: 3 }))
      perPartition.set(
        r.partition,
        (perPartition.get(r.partition) as bigint) < 0n
          ? 1n
          : (perPartition.get(r.partition) as bigint) + 1n,
      );
    expect(await committedOffsets(groupId, topic)).toEqual(perPartition);
  });
});

describe('waitFor', () => {
  test('polls through errors and falsy answers, then resolves with the answer', async () => {
    let calls = 0;
    const value = await waitFor(
      () => {
        calls++;
        if (calls === 1) throw new Error('refused');
        return calls < 4 ? undefined : { rows: calls };
      },
      'rows',
      5_000,
      1,
    );
    expect(value).toEqual({ rows: 4 });
  });

  test('names what it waited for and the last error when time runs out', async () => {
    await expect(
      waitFor(
        () => {
          throw new Error('connection refused');
        },
        'Cassandra',
        100,
        10,
      ),
    ).rejects.toThrow(
      'timed out after 100 ms waiting for Cassandra (last error: connection refused)',
    );
  });
});

describe('scrapeMetric', () => {
  test('sums the series whose labels include the given ones', async () => {
    const body = [
      '# HELP fleetstream_records_total Records.',
      '# TYPE fleetstream_records_total counter',
      'fleetstream_records_total{service="enrich",status="ok"} 5',
      'fleetstream_records_total{service="enrich",status="dlq"} 2',
      'fleetstream_records_total_other{service="enrich"} 100',
      'fleetstream_up 1',
    ].join('\n');
    const server = createServer((_req, res) => res.end(body));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      expect(await scrapeMetric(port, 'fleetstream_records_total')).toBe(7);
      expect(await scrapeMetric(port, 'fleetstream_records_total', { status: 'dlq' })).toBe(2);
      expect(await scrapeMetric(port, 'fleetstream_records_total', { status: 'none' })).toBe(0);
      expect(await scrapeMetric(port, 'fleetstream_up')).toBe(1);
    } finally {
      server.close();
    }
  });
});
