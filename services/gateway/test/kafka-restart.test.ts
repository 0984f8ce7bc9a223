// @servers kafka
import { restart } from '@fleetstream/devstack';
import { avlPacket, RawDevice } from './helpers/device.ts';
import { startGateway } from './helpers/gateway.ts';
import { createTopics, readTopic, suffix } from './helpers/kafka.ts';

/**
 * Runs against the devstack's real broker, which it stops and starts again (tests run one at a
 * time, so no other test sees the outage).
 */
describe('the gateway across a Kafka restart', () => {
  test('while Kafka is down nothing is acknowledged and /readyz is 503; once it is back the device resends and the packet lands', async () => {
    // Prepare
    const topic = `telemetry.raw.restart-${suffix()}`;
    await createTopics([topic], 2);
    const gw = await startGateway({ RAW_TOPIC: topic, GATEWAY_PROBE_INTERVAL_MS: '200', GATEWAY_PRODUCE_TIMEOUT_MS: '3000', GATEWAY_SLOW_SEND_MS: '1000' });
    await gw.untilReady(200);
    const imei = '356307042449999';
    const packet = avlPacket(1_700_000_100_000, 2);
    let answeredWhileDown: Buffer | undefined;
    let readyWhileDown = 0;

    // Act: stop Kafka; a device sends while it is down
    await restart('kafka', {
      signal: 'SIGTERM',
      downMs: 3_000,
      whileDown: async () => {
        await gw.untilReady(503, 30_000);
        readyWhileDown = await gw.readyz();
        const device = await RawDevice.connect(gw.gateway.tcpPort);
        device.login(imei);
        await device.receivedAtLeast(1);
        device.write(packet);
        await Promise.race([device.closed, new Promise((r) => setTimeout(r, 5_000))]);
        answeredWhileDown = device.received;
        device.destroy();
      },
    });
    await gw.untilReady(200, 60_000);
    // the device reconnects and sends the same packet again
    const again = await RawDevice.connect(gw.gateway.tcpPort);
    again.login(imei);
    await again.receivedAtLeast(1);
    again.write(packet);
    const answered = await again.receivedAtLeast(5);
    again.destroy();
    const records = await readTopic(topic);
    await gw.shutdown();

    // Assess: no ack while down (only the login answer), an ack of 2 records after, the packet durable
    expect(readyWhileDown).toBe(503);
    expect(answeredWhileDown).toEqual(Buffer.from([0x01]));
    expect(answered).toEqual(Buffer.from([0x01, 0x00, 0x00, 0x00, 0x02]));
    expect(records.length).toBeGreaterThanOrEqual(1);
    expect(records.every((r) => r.key === imei && r.value.equals(packet))).toBe(true);
  }, 240_000);
});
