// @servers kafka
import { createSimulator, type DeliveryEvent } from '@fleetstream/simulator';
import { createTopics, deleteTopics, readTopic, suffix } from './helpers/kafka.ts';
import { startGateway } from './helpers/gateway.ts';

const DEVICES = Number(process.env.GATEWAY_TEST_DEVICES ?? 1000);
const PACKETS = Number(process.env.GATEWAY_TEST_PACKETS ?? 20);

describe('a fleet of Teltonika TCP devices against the real gateway', () => {
  const topic = `telemetry.raw.gw-fleet-${suffix()}`;
  let gw: Awaited<ReturnType<typeof startGateway>>;

  beforeAll(async () => {
    await createTopics([topic], 6);
    gw = await startGateway({ RAW_TOPIC: topic });
    await gw.untilReady();
  });

  afterAll(async () => {
    await gw?.shutdown();
    await deleteTopics([topic]);
  });

  it(`stores every acknowledged packet of ${DEVICES} devices x ${PACKETS} packets, and a resend after a lost ack is a byte-identical duplicate`, async () => {
    // Prepare: remember what was acknowledged and which acks the devices threw away.
    const acked = new Map<string, number>();
    const dropped = new Map<string, number>();
    const keyOf = (e: DeliveryEvent) => `${e.deviceId}/${e.payload.toString('hex')}`;
    const sim = createSimulator({
      devices: DEVICES,
      mode: 'steady',
      rate: 0,
      packetsPerDevice: PACKETS,
      recordsPerPacket: 2,
      tcp: `127.0.0.1:${gw.gateway.tcpPort}`,
      seed: 7,
      ackLossRate: 0.01,
      ackTimeoutMs: 60_000,
      live: false,
      onDelivery: (e) => {
        const map = e.type === 'acked' ? acked : dropped;
        map.set(keyOf(e), (map.get(keyOf(e)) ?? 0) + 1);
      },
    });

    // Act
    const summary = await sim.run();
    const stored = await readTopic(topic);

    // Assess: every packet acked once, in the topic as often as it was acknowledged + its lost acks.
    expect(summary.acked).toBe(DEVICES * PACKETS);
    expect(summary.failed).toBe(0);
    expect(summary.errors).toBe(0);
    expect(acked.size).toBe(DEVICES * PACKETS);
    expect(summary.lostAcks).toBeGreaterThan(0);
    const inTopic = new Map<string, number>();
    for (const r of stored) inTopic.set(`${r.key}/${r.value.toString('hex')}`, (inTopic.get(`${r.key}/${r.value.toString('hex')}`) ?? 0) + 1);
    const expected = new Map(acked);
    for (const [k, n] of dropped) expected.set(k, (expected.get(k) ?? 0) + n);
    expect(stored.length).toBe(DEVICES * PACKETS + summary.lostAcks);
    expect(inTopic).toEqual(expected);
    const headers = stored[0]!.headers;
    expect(headers.protocol).toBe('teltonika-tcp');
    expect(['8', '142', '16']).toContain(headers.codec);
    expect(Number(headers.receivedAt)).toBeGreaterThan(0);
    expect(headers.remote).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(await gw.metric('fleetstream_gateway_packets_total', { result: 'acked' })).toBe(DEVICES * PACKETS + summary.lostAcks);
  });
});
