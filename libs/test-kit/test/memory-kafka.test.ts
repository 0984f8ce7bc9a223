/**
 * The in-memory Kafka keeps the promises of the client port that the runtime's unit tests rely on.
 */
import type { InboundRecord, PartitionBatch } from '@fleetstream/stream';
import { Latch, MemoryKafka } from '../src/memory-kafka/index.ts';

const idle = () => new Promise<void>((r) => setImmediate(r));
const values = (records: readonly InboundRecord[]) => records.map((r) => r.value!.toString());

describe('MemoryKafka', () => {
  test("read_committed sees a transaction's records only after commit and never after abort; read_uncommitted sees them all", async () => {
    // Prepare
    const kafka = new MemoryKafka();
    kafka.createTopic('t', 1);
    const producer = kafka.producer({ transactionalId: 'tx' });
    await producer.connect();

    // Act
    const committed = await producer.transaction();
    await committed.send([{ topic: 't', key: null, value: 'c' }]);
    const whileOpen = kafka.read('t');
    await committed.commit();
    const aborted = await producer.transaction();
    await aborted.send([{ topic: 't', key: null, value: 'a' }]);
    await aborted.abort();

    // Assess: records and markers take offsets 0..3
    expect(whileOpen).toEqual([]);
    expect(values(kafka.read('t'))).toEqual(['c']);
    expect(values(kafka.read('t', { readCommitted: false }))).toEqual(['c', 'a']);
    expect(kafka.endOffsets('t')).toEqual(new Map([[0, 4n]]));
  });

  test('offsets sent with a transaction are committed with it; a newer producer with the same id fences the old one and aborts its transaction', async () => {
    // Prepare
    const kafka = new MemoryKafka();
    kafka.createTopic('t', 1);
    const old = kafka.producer({ transactionalId: 'tx' });
    await old.connect();
    const open = await old.transaction();
    await open.send([{ topic: 't', key: null, value: 'zombie' }]);
    await open.sendOffsets('g', [{ topic: 'in', partition: 0, offset: '5' }]);

    // Act
    const fresh = kafka.producer({ transactionalId: 'tx' });
    await fresh.connect();
    const tx = await fresh.transaction();
    await tx.send([{ topic: 't', key: null, value: 'fresh' }]);
    await tx.sendOffsets('g', [{ topic: 'in', partition: 0, offset: '7' }]);
    await tx.commit();

    // Assess
    await expect(open.commit()).rejects.toMatchObject({ type: 'PRODUCER_FENCED' });
    expect(values(kafka.read('t'))).toEqual(['fresh']);
    expect(kafka.commits).toEqual([
      { groupId: 'g', topic: 'in', partition: 0, offset: '7', via: 'transaction' },
    ]);
  });

  test("a second member takes half the partitions after the first one's running batches return; both resume from the committed offsets", async () => {
    // Prepare: 4 partitions of 2 records; a holds its first batches
    const kafka = new MemoryKafka();
    kafka.createTopic('t', 4);
    for (let p = 0; p < 4; p++)
      kafka.append('t', [
        { key: null, value: `${p}-0`, partition: p },
        { key: null, value: `${p}-1`, partition: p },
      ]);
    const held = new Latch();
    const events: string[] = [];
    const seen: { member: string; batch: PartitionBatch }[] = [];
    const member = (name: string) => {
      const c = kafka.consumer({ groupId: 'g', topics: ['t'] });
      c.onRebalancing(() => events.push(`${name} rebalancing`));
      c.onAssigned((a) =>
        events.push(`${name} assigned ${a.flatMap((x) => x.partitions).join(',')}`),
      );
      return c;
    };
    const a = member('a');
    const b = member('b');
    await a.run(async (batch, control) => {
      seen.push({ member: 'a', batch });
      await held.wait();
      if (batch.partition % 2 === 0) {
        control.resolveOffset(batch.lastOffset);
        await a.commit([
          { topic: 't', partition: batch.partition, offset: String(Number(batch.lastOffset) + 1) },
        ]);
      }
    });
    while (held.waiting < 4) await idle();

    // Act
    const joined = b.run(async (batch) => void seen.push({ member: 'b', batch }));
    await idle();
    const beforeRelease = [...events];
    held.open();
    await joined;
    while (seen.filter((s) => s.member === 'b').length < 2) await idle();

    // Assess: b joined only after a's batches returned; odd partitions (not committed) are read again by b
    expect(beforeRelease).toEqual(['a assigned 0,1,2,3', 'a rebalancing']);
    expect(events.slice(2)).toEqual(['a assigned 0,2', 'b assigned 1,3']);
    expect(
      seen
        .filter((s) => s.member === 'b')
        .map((s) => values(s.batch.records))
        .sort(),
    ).toEqual([
      ['1-0', '1-1'],
      ['3-0', '3-1'],
    ]);
    expect(kafka.committed('g', 't')).toEqual(
      new Map([
        [0, 2n],
        [2, 2n],
      ]),
    );
    await Promise.all([a.disconnect(), b.disconnect()]);
  });

  test("an expelled member's running batch turns stale, its commits are refused, and a handler that throws is reported and its batch fetched again", async () => {
    // Prepare
    const kafka = new MemoryKafka();
    kafka.createTopic('t', 1);
    kafka.append('t', [{ key: null, value: 'x' }]);
    const held = new Latch();
    let stale: (() => boolean) | undefined;
    const expelled = kafka.consumer({ groupId: 'g', topics: ['t'] });
    await expelled.run(async (_batch, control) => {
      stale = control.isStale;
      await held.wait();
    });
    while (held.waiting === 0) await idle();

    // Act
    await expelled.expel();
    held.open();
    let calls = 0;
    const crashes: string[] = [];
    const next = kafka.consumer({ groupId: 'g', topics: ['t'] });
    next.onCrash((err) => crashes.push(err.message));
    await next.run(async (batch, control) => {
      calls += 1;
      if (calls === 1) throw new Error('boom');
      control.resolveOffset(batch.lastOffset);
    });
    while (calls < 2) await idle().then(() => new Promise((r) => setTimeout(r, 5)));

    // Assess
    expect(stale!()).toBe(true);
    await expect(
      expelled.commit([{ topic: 't', partition: 0, offset: '1' }]),
    ).rejects.toMatchObject({ type: 'UNKNOWN_MEMBER_ID' });
    expect(crashes).toEqual(['boom']);
    await next.disconnect();
  });

  test('the admin port creates, describes and reads offsets; a send to a missing topic fails and appends nothing', async () => {
    // Prepare
    const kafka = new MemoryKafka();
    const admin = kafka.admin();
    const producer = kafka.producer();
    await producer.connect();

    // Act
    await admin.createTopics([
      {
        topic: 't',
        numPartitions: 3,
        replicationFactor: 1,
        configs: { 'cleanup.policy': 'compact' },
      },
    ]);
    await producer.send([{ topic: 't', key: 'k', value: 'v' }]);
    const missing = producer.send([
      { topic: 't', key: 'k', value: 'v2' },
      { topic: 'nope', key: null, value: 'x' },
    ]);

    // Assess
    await expect(missing).rejects.toMatchObject({ type: 'UNKNOWN_TOPIC_OR_PARTITION' });
    expect(await admin.describeTopics(['t'])).toEqual([
      { topic: 't', partitions: 3, replicationFactor: 1 },
    ]);
    expect(await admin.describeConfigs(['t'])).toEqual({ t: { 'cleanup.policy': 'compact' } });
    expect((await admin.fetchTopicOffsets('t')).reduce((n, p) => n + Number(p.high), 0)).toBe(1);
    expect(await admin.fetchCommitted('g', 't')).toEqual(
      [0, 1, 2].map((partition) => ({ partition, offset: '-1' })),
    );
  });
});
