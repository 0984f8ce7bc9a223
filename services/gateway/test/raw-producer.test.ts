import pino from 'pino';
import type { OutboundRecord, StreamAdmin, StreamProducer } from '@fleetstream/stream';
import { RawProducer } from '../src/raw-producer.ts';

/** An in-memory producer whose sends the test completes by hand. */
function fakeProducer() {
  const sends: { records: OutboundRecord[]; resolve: () => void; reject: (e: Error) => void }[] = [];
  const producer = {
    connect: async () => undefined,
    disconnect: async () => undefined,
    send: (records: OutboundRecord[]) => new Promise<void>((resolve, reject) => sends.push({ records, resolve, reject })),
    transaction: () => Promise.reject(new Error('not used')),
  } satisfies StreamProducer;
  return { producer, sends };
}

const admin = { connect: async () => undefined, disconnect: async () => undefined, listTopics: async () => [] } as unknown as StreamAdmin;
const record = (key: string): OutboundRecord => ({ topic: 't', key, value: key });
const tick = () => new Promise((r) => setImmediate(r));

async function started(slowSendMs = 60_000, maxSendsInFlight = 1, sendIntervalMs = 0) {
  const fake = fakeProducer();
  const raw = new RawProducer({ producer: fake.producer, admin, logger: pino({ level: 'silent' }), lingerMs: 0, maxBatchRecords: 100, slowSendMs, probeIntervalMs: 60_000, maxSendsInFlight, sendIntervalMs });
  raw.start();
  while (!raw.healthy()) await tick();
  return { raw, ...fake };
}

describe('RawProducer', () => {
  it('sends what accumulated while a send was in flight as one produce request, and resolves each submit after its own send', async () => {
    // Prepare
    const { raw, sends } = await started();
    const first = raw.submit([record('a')]);
    await tick();

    // Act: three more arrive while the first send is in flight.
    const later = [raw.submit([record('b')]), raw.submit([record('c')]), raw.submit([record('d')])];
    await tick();
    const sendsWhileInFlight = sends.length;
    sends[0]!.resolve();
    await first;
    await tick();

    // Assess
    expect(sendsWhileInFlight).toBe(1);
    expect(sends.map((s) => s.records.map((r) => r.key))).toEqual([['a'], ['b', 'c', 'd']]);
    sends[1]!.resolve();
    await Promise.all(later);
    await raw.stop();
  });

  it('with two send slots, a record does not wait for the send in flight; what arrives while both are busy goes out together in the next', async () => {
    // Prepare
    const { raw, sends } = await started(60_000, 2);
    const first = raw.submit([record('a')]);
    await tick();

    // Act: b arrives while a is in flight (a free slot: sent at once); c, d, e while both are in flight
    const second = raw.submit([record('b')]);
    await tick();
    const sendsAfterB = sends.length;
    const later = [raw.submit([record('c')]), raw.submit([record('d')]), raw.submit([record('e')])];
    await tick();
    const sendsWhileBothBusy = sends.length;
    sends[1]!.resolve();
    await second;
    await tick();

    // Assess: b did not wait for a; c, d and e went out as one request once a slot was free
    expect(sendsAfterB).toBe(2);
    expect(sendsWhileBothBusy).toBe(2);
    expect(sends.map((s) => s.records.map((r) => r.key))).toEqual([['a'], ['b'], ['c', 'd', 'e']]);
    sends[0]!.resolve();
    sends[2]!.resolve();
    await Promise.all([first, ...later]);
    await raw.stop();
  });

  it('with a send interval, sends a record after a quiet interval at once, and what arrives within the interval as one request, in order, each submit resolved only by its own send', async () => {
    // Prepare: three slots, so only the pacing holds records back
    const { raw, sends } = await started(60_000, 3, 150);
    const first = raw.submit([record('a')]);
    await tick();
    const sendsAfterA = sends.length;
    sends[0]!.resolve();
    await first;

    // Act: b, c and d come within the interval of a's send (no send in flight any more)
    const resolved: string[] = [];
    const later = ['b', 'c', 'd'].map((k) => raw.submit([record(k)]).then(() => void resolved.push(k)));
    for (let i = 0; i < 5; i++) await tick();
    const sendsWithinInterval = sends.length;
    while (sends.length < 2) await new Promise((r) => setTimeout(r, 10));
    for (let i = 0; i < 5; i++) await tick();
    const resolvedBeforeAck = resolved.length;
    sends[1]!.resolve();
    await Promise.all(later);

    // Assess
    expect(sendsAfterA).toBe(1);
    expect(sendsWithinInterval).toBe(1);
    expect(sends.map((s) => s.records.map((r) => r.key))).toEqual([['a'], ['b', 'c', 'd']]);
    expect(resolvedBeforeAck).toBe(0);
    expect(resolved).toEqual(['b', 'c', 'd']);
    await raw.stop();
  });

  it('with a send interval, a failed paced request rejects every packet in it and acknowledges none', async () => {
    // Prepare
    const { raw, sends } = await started(60_000, 3, 50);
    const first = raw.submit([record('a')]);
    await tick();
    sends[0]!.resolve();
    await first;
    const paced = [raw.submit([record('b')]), raw.submit([record('c')])].map((p) => p.then(() => 'acked', (e: unknown) => e));
    while (sends.length < 2) await new Promise((r) => setTimeout(r, 5));

    // Act
    sends[1]!.reject(new Error('broker down'));
    const outcomes = await Promise.all(paced);

    // Assess
    expect(sends[1]!.records.map((r) => r.key)).toEqual(['b', 'c']);
    expect(outcomes).toEqual([expect.objectContaining({ code: 'GATEWAY_KAFKA_UNAVAILABLE' }), expect.objectContaining({ code: 'GATEWAY_KAFKA_UNAVAILABLE' })]);
    await raw.stop();
  });

  it('rejects every submit of a failed send with GATEWAY_KAFKA_UNAVAILABLE and is unhealthy until a send succeeds', async () => {
    // Prepare
    const { raw, sends } = await started();
    const failed = raw.submit([record('a')]);
    await tick();

    // Act
    sends[0]!.reject(new Error('broker down'));
    const error = await failed.catch((e: unknown) => e);
    const afterFailure = raw.healthy();
    const next = raw.submit([record('b')]);
    await tick();
    sends[1]!.resolve();
    await next;

    // Assess
    expect(error).toMatchObject({ code: 'GATEWAY_KAFKA_UNAVAILABLE' });
    expect(afterFailure).toBe(false);
    expect(raw.healthy()).toBe(true);
    await raw.stop();
  });

  it('is unhealthy while a send is in flight for longer than slowSendMs', async () => {
    // Prepare
    const { raw, sends } = await started(20);
    const pending = raw.submit([record('a')]);
    await tick();

    // Act
    await new Promise((r) => setTimeout(r, 40));
    const whileSlow = raw.healthy();
    sends[0]!.resolve();
    await pending;

    // Assess
    expect(whileSlow).toBe(false);
    expect(raw.healthy()).toBe(true);
    await raw.stop();
  });

  it('refuses submits before Kafka is connected', async () => {
    // Prepare
    const fake = fakeProducer();
    const raw = new RawProducer({ producer: { ...fake.producer, connect: () => new Promise(() => undefined) }, admin, logger: pino({ level: 'silent' }), lingerMs: 0, maxBatchRecords: 100, slowSendMs: 1000, probeIntervalMs: 60_000 });
    raw.start();

    // Act
    const error = await raw.submit([record('a')]).catch((e: unknown) => e);

    // Assess
    expect(error).toMatchObject({ code: 'GATEWAY_KAFKA_UNAVAILABLE' });
    expect(raw.healthy()).toBe(false);
    await raw.stop();
  });
});
