// @servers kafka
import { createSimulator } from '@fleetstream/simulator';
import { DlqHeaders } from '@fleetstream/stream';
import { decodeTcpAck } from '@fleetstream/telemetry';
import { avlPacket, RawDevice } from './helpers/device.ts';
import { startGateway } from './helpers/gateway.ts';
import { createTopics, deleteTopics, readTopic, suffix } from './helpers/kafka.ts';

const IDLE_MS = 400;

describe('hostile and broken TCP clients', () => {
  const topic = `telemetry.raw.gw-hostile-${suffix()}`;
  const dlqTopic = `telemetry.dlq.gw-hostile-${suffix()}`;
  let gw: Awaited<ReturnType<typeof startGateway>>;
  const closed = (reason: string) => gw.metric('fleetstream_gateway_closed_connections_total', { reason });

  beforeAll(async () => {
    await createTopics([topic, dlqTopic], 6);
    gw = await startGateway({ RAW_TOPIC: topic, DLQ_TOPIC: dlqTopic, GATEWAY_MAX_PACKET_BYTES: '4096', GATEWAY_IDLE_TIMEOUT_MS: String(IDLE_MS), GATEWAY_IMEI_ALLOW: '356307042441013,356307040000000,356307040000001,356307040000002,356307040000003,356307040000004' });
    await gw.untilReady();
  });

  afterAll(async () => {
    await gw?.shutdown();
    await deleteTopics([topic, dlqTopic]);
  });

  it('closes garbage, oversized and slowloris connections and counts them, while good devices on the same gateway see no error', async () => {
    // Prepare: good devices run throughout.
    const sim = createSimulator({ devices: 5, mode: 'steady', rate: 0, packetsPerDevice: 30, tcp: `127.0.0.1:${gw.gateway.tcpPort}`, live: false, ackTimeoutMs: 30_000 });
    const good = sim.run();

    // Act: garbage after login (bad preamble), garbage instead of a login, an oversized declared length,
    // a slowloris dripping its login, and a connection that says nothing.
    const garbage = await RawDevice.connect(gw.gateway.tcpPort);
    garbage.login('356307042441013');
    await garbage.receivedAtLeast(1);
    garbage.write(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    const notLogin = await RawDevice.connect(gw.gateway.tcpPort);
    notLogin.write(Buffer.from('\xff\xff hello', 'latin1'));
    const oversized = await RawDevice.connect(gw.gateway.tcpPort);
    oversized.login('356307042441013');
    await oversized.receivedAtLeast(1);
    const header = Buffer.alloc(8);
    header.writeUInt32BE(1_000_000, 4);
    oversized.write(header);
    const slow = await RawDevice.connect(gw.gateway.tcpPort);
    const login = Buffer.from('000f333536333037303432343431303133', 'hex');
    let i = 0;
    const drip = setInterval(() => {
      if (i < login.length) slow.write(login.subarray(i, ++i));
    }, IDLE_MS / 4);
    const idle = await RawDevice.connect(gw.gateway.tcpPort);
    await Promise.all([garbage.closed, notLogin.closed, oversized.closed, slow.closed, idle.closed]);
    clearInterval(drip);
    const summary = await good;

    // Assess
    expect(garbage.received).toEqual(Buffer.from([0x01]));
    expect(oversized.received).toEqual(Buffer.from([0x01]));
    expect(notLogin.received.length).toBe(0);
    expect(slow.received.length).toBe(0);
    expect(i).toBeLessThan(login.length);
    expect(await closed('garbage')).toBe(2);
    expect(await closed('oversized')).toBe(1);
    expect(await closed('idle')).toBe(2);
    expect(summary.acked).toBe(150);
    expect(summary.errors).toBe(0);
  });

  it('answers an IMEI outside the allow-list with 0x00, closes, and counts login_rejected', async () => {
    // Prepare
    const before = await closed('login_rejected');
    const device = await RawDevice.connect(gw.gateway.tcpPort);

    // Act
    device.login('999999999999999');
    await device.closed;

    // Assess
    expect(device.received).toEqual(Buffer.from([0x00]));
    expect(await closed('login_rejected')).toBe(before + 1);
  });

  it('sends a packet with a bad CRC to the DLQ without an ack, and acks the next good packet on the same connection', async () => {
    // Prepare
    const device = await RawDevice.connect(gw.gateway.tcpPort);
    device.login('356307042441013');
    await device.receivedAtLeast(1);
    const bad = avlPacket(1_700_000_000_000);
    bad[bad.length - 1] = bad[bad.length - 1]! ^ 0xff;
    const good = avlPacket(1_700_000_100_000, 3);

    // Act
    device.write(bad);
    device.write(good);
    await device.receivedAtLeast(5);
    device.destroy();
    const dead = await readTopic(dlqTopic);
    const raw = (await readTopic(topic)).filter((r) => r.value.equals(good));

    // Assess: the only ack is the good packet's (3 records); the bad bytes are in the DLQ as sent.
    expect(device.received.length).toBe(5);
    expect(decodeTcpAck(device.received.subarray(1))).toBe(3);
    expect(raw).toHaveLength(1);
    expect(dead).toHaveLength(1);
    expect(dead[0]!.value).toEqual(bad);
    expect(dead[0]!.key).toBe('356307042441013');
    expect(dead[0]!.headers[DlqHeaders.errorClass]).toBe('TELEMETRY_CRC_MISMATCH');
    expect(dead[0]!.headers[DlqHeaders.sourceTopic]).toBe(topic);
    expect(dead[0]!.headers[DlqHeaders.sourceOffset]).toBe('-1');
    expect(dead[0]!.headers.protocol).toBe('teltonika-tcp');
    expect(await gw.metric('fleetstream_gateway_packets_total', { result: 'dlq' })).toBe(1);
  });
});
