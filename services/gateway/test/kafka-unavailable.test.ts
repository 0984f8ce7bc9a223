import { avlPacket, RawDevice } from './helpers/device.ts';
import { startGateway } from './helpers/gateway.ts';

describe('the gateway when Kafka is unreachable', () => {
  let gw: Awaited<ReturnType<typeof startGateway>>;

  beforeAll(async () => {
    // A closed port stands in for a Kafka that is down (the shared broker is never stopped).
    gw = await startGateway({ KAFKA_BROKERS: '127.0.0.1:1', RAW_TOPIC: 'telemetry.raw.unreachable', GATEWAY_TOKENS: 'tok', GATEWAY_PROBE_INTERVAL_MS: '200' });
  });

  afterAll(async () => {
    await gw?.shutdown();
  });

  it('reports not ready on /readyz', async () => {
    // Act
    const status = await gw.readyz();

    // Assess
    expect(status).toBe(503);
  });

  it('does not acknowledge a device packet: the connection closes after the login answer, and the packet counts as rejected', async () => {
    // Prepare
    const device = await RawDevice.connect(gw.gateway.tcpPort);
    device.login('356307042441013');
    await device.receivedAtLeast(1);

    // Act
    device.write(avlPacket(1_700_000_000_000));
    await device.closed;

    // Assess
    expect(device.received).toEqual(Buffer.from([0x01]));
    expect(await gw.metric('fleetstream_gateway_packets_total', { result: 'rejected' })).toBe(1);
    expect(await gw.metric('fleetstream_gateway_packets_total', { result: 'acked' })).toBe(0);
    expect(await gw.metric('fleetstream_gateway_closed_connections_total', { reason: 'kafka_unavailable' })).toBe(1);
  });

  it('answers HTTP ingest with 503', async () => {
    // Act
    const res = await fetch(`http://127.0.0.1:${gw.gateway.httpPort}/v1/telemetry`, {
      method: 'POST',
      headers: { authorization: 'Bearer tok', 'content-type': 'application/json' },
      body: JSON.stringify({ deviceId: 'dev-1', eventTime: 1_700_000_000_000, position: { lat: 54.7, lon: 25.3 } }),
    });

    // Assess
    expect(res.status).toBe(503);
  });
});
