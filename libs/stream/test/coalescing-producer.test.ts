import { coalescingProducer } from '../src/coalescing-producer.ts';
import type { OutboundRecord, StreamProducer } from '../src/index.ts';

const rec = (value: string): OutboundRecord => ({ topic: 't', key: value, value: Buffer.from(value) });
const values = (records: OutboundRecord[]) => records.map((r) => String(r.key));

/** A producer that records each request and refuses any request holding a value starting with "bad". */
function fakeProducer() {
  const requests: string[][] = [];
  const producer: StreamProducer = {
    connect: async () => undefined,
    disconnect: async () => undefined,
    transaction: () => Promise.reject(new Error('not transactional')),
    send: async (records) => {
      requests.push(values(records));
      await new Promise((r) => setTimeout(r, 1));
      if (records.some((r) => String(r.key).startsWith('bad'))) throw new Error('RECORD_TOO_LARGE');
    },
  };
  return { producer, requests };
}

describe('coalescingProducer', () => {
  test('sends issued in one event-loop turn go as one request, in call order, and each resolves', async () => {
    // Prepare
    const { producer, requests } = fakeProducer();
    const p = coalescingProducer(producer);

    // Act
    const sends = [p.send([rec('a1'), rec('a2')]), p.send([rec('b1')]), p.send([]), p.send([rec('c1'), rec('c2'), rec('c3')])];
    await Promise.all(sends);

    // Assess
    expect(requests).toEqual([['a1', 'a2', 'b1', 'c1', 'c2', 'c3']]);
    expect(p.requests).toBe(1);
  });

  test('sends of later turns are requests of their own (no wait for company)', async () => {
    // Prepare
    const { producer, requests } = fakeProducer();
    const p = coalescingProducer(producer);

    // Act
    await p.send([rec('a')]);
    await p.send([rec('b')]);

    // Assess
    expect(requests).toEqual([['a'], ['b']]);
  });

  test('a refused merged request is sent again per caller: only the chunk holding the bad record fails', async () => {
    // Prepare
    const { producer, requests } = fakeProducer();
    const p = coalescingProducer(producer);

    // Act
    const outcomes = await Promise.allSettled([p.send([rec('a')]), p.send([rec('bad'), rec('b2')]), p.send([rec('c')])]);

    // Assess
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toEqual(new Error('RECORD_TOO_LARGE'));
    expect(requests[0]).toEqual(['a', 'bad', 'b2', 'c']);
    expect(requests.slice(1).sort()).toEqual([['a'], ['bad', 'b2'], ['c']]);
  });
});
