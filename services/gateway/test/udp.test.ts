// @servers kafka
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { CODEC_8_EXTENDED, decodeUdpAck, encodeUdpPacket } from '@fleetstream/telemetry';
import { avlRecord } from './helpers/device.ts';
import { startGateway } from './helpers/gateway.ts';
import { createTopics, deleteTopics, readTopic, suffix } from './helpers/kafka.ts';

describe('Teltonika over UDP', () => {
  const topic = `telemetry.raw.gw-udp-${suffix()}`;
  const dlqTopic = `telemetry.dlq.gw-udp-${suffix()}`;
  let gw: Awaited<ReturnType<typeof startGateway>>;

  beforeAll(async () => {
    await createTopics([topic, dlqTopic], 6);
    gw = await startGateway({ RAW_TOPIC: topic, DLQ_TOPIC: dlqTopic });
    await gw.untilReady();
  });

  afterAll(async () => {
    await gw?.shutdown();
    await deleteTopics([topic, dlqTopic]);
  });

  it('acks a datagram with its packet ids and record count once it is in the raw topic, and sends an undecodable one to the DLQ', async () => {
    // Prepare
    const client = createSocket('udp4');
    const datagram = encodeUdpPacket({
      codecId: CODEC_8_EXTENDED,
      records: [avlRecord(1_700_000_000_000), avlRecord(1_700_000_001_000)],
      packetId: 0xcafe,
      notUsable: 1,
      avlPacketId: 7,
      imei: '356307042441013',
    });
    const broken = datagram.subarray(0, datagram.length - 5);

    // Act
    client.send(broken, gw.gateway.udpPort, '127.0.0.1');
    client.send(datagram, gw.gateway.udpPort, '127.0.0.1');
    const [ack] = (await once(client, 'message')) as [Buffer];
    client.close();
    const stored = await readTopic(topic);
    let dead = await readTopic(dlqTopic);
    while (dead.length === 0) {
      await new Promise((r) => setTimeout(r, 50));
      dead = await readTopic(dlqTopic);
    }

    // Assess
    expect(decodeUdpAck(ack)).toEqual({ packetId: 0xcafe, notUsable: 1, avlPacketId: 7, acceptedCount: 2 });
    expect(stored).toHaveLength(1);
    expect(stored[0]!.key).toBe('356307042441013');
    expect(stored[0]!.value).toEqual(datagram);
    expect(stored[0]!.headers).toMatchObject({ protocol: 'teltonika-udp', codec: '142' });
    expect(dead).toHaveLength(1);
    expect(dead[0]!.value).toEqual(broken);
  });
});
