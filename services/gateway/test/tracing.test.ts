// @servers kafka
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { avlPacket, RawDevice } from './helpers/device.ts';
import { startGateway } from './helpers/gateway.ts';
import { createTopics, deleteTopics, readTopic, suffix } from './helpers/kafka.ts';

/**
 * The gateway with tracing on, exporting over OTLP/HTTP (json) to a receiver in the test: every
 * HTTP request and TCP packet starts a span whose context rides in the raw record's `traceparent`;
 * a valid incoming `traceparent` is continued, a malformed one is ignored (a new trace, still 202).
 */
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
}

/** An OTLP/HTTP json receiver: every span it was sent, with its resource's service.name. */
async function otlpReceiver() {
  const spans: (OtlpSpan & { service: string })[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        resourceSpans: { resource: { attributes: { key: string; value: { stringValue?: string } }[] }; scopeSpans: { spans: OtlpSpan[] }[] }[];
      };
      for (const rs of body.resourceSpans) {
        const service = rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
        for (const ss of rs.scopeSpans) for (const s of ss.spans) spans.push({ ...s, service });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const spanOfTrace = async (traceId: string) => {
    for (let i = 0; i < 200; i++) {
      const hit = spans.find((s) => s.traceId === traceId);
      if (hit) return hit;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no span of trace ${traceId} was exported`);
  };
  return { url, spans, spanOfTrace, close: () => new Promise((r) => server.close(r)) };
}

const event = (deviceId: string) => ({ deviceId, eventTime: 1_700_000_000_000, position: { lat: 54.7, lon: 25.26, speed: 12 }, io: {} });
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/;

describe('gateway traces', () => {
  const topic = `telemetry.raw.gw-trace-${suffix()}`;
  let gw: Awaited<ReturnType<typeof startGateway>>;
  let receiver: Awaited<ReturnType<typeof otlpReceiver>>;
  let url: string;
  const post = (deviceId: string, headers: Record<string, string>) =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer good-token', ...headers }, body: JSON.stringify(event(deviceId)) });
  const recordOf = async (deviceId: string) => {
    for (let i = 0; i < 100; i++) {
      const hit = (await readTopic(topic)).find((r) => r.key === deviceId);
      if (hit) return hit;
    }
    throw new Error(`no record of ${deviceId}`);
  };

  beforeAll(async () => {
    await createTopics([topic], 1);
    receiver = await otlpReceiver();
    gw = await startGateway({
      RAW_TOPIC: topic,
      GATEWAY_TOKENS: 'good-token',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '100',
    });
    url = `http://127.0.0.1:${gw.gateway.httpPort}/v1/telemetry`;
    await gw.untilReady();
  });

  afterAll(async () => {
    await gw?.shutdown();
    await receiver?.close();
    await deleteTopics([topic]);
  });

  it('continues a valid incoming traceparent: the record carries its trace id and the gateway span, whose parent is the caller', async () => {
    // Prepare
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const callerSpan = '00f067aa0ba902b7';

    // Act
    const res = await post('dev-traced', { traceparent: `00-${traceId}-${callerSpan}-01`, tracestate: 'vendor=kept' });
    const record = await recordOf('dev-traced');
    const span = await receiver.spanOfTrace(traceId);

    // Assess
    expect(res.status).toBe(202);
    const [, recordTrace, recordSpan] = TRACEPARENT.exec(record.headers.traceparent ?? '') ?? [];
    expect(recordTrace).toBe(traceId);
    expect(record.headers.tracestate).toBe('vendor=kept');
    expect([span.name, span.service, span.spanId, span.parentSpanId]).toEqual(['POST /v1/telemetry', 'gateway', recordSpan, callerSpan]);
  });

  it('ignores a malformed traceparent: 202, and the record starts a new trace of its own', async () => {
    // Act
    const res = await post('dev-malformed', { traceparent: '00-not-a-trace-01' });
    const record = await recordOf('dev-malformed');

    // Assess
    expect(res.status).toBe(202);
    const [, recordTrace, recordSpan] = TRACEPARENT.exec(record.headers.traceparent ?? '') ?? [];
    expect(recordTrace).toMatch(/^[0-9a-f]{32}$/);
    const span = await receiver.spanOfTrace(recordTrace!);
    expect([span.spanId, span.parentSpanId || undefined]).toEqual([recordSpan, undefined]);
  });

  it('starts a trace per TCP packet: its record carries the packet span of a new trace', async () => {
    // Act
    const device = await RawDevice.connect(gw.gateway.tcpPort);
    device.login('356307042441013');
    await device.receivedAtLeast(1);
    device.write(avlPacket(1_700_000_000_000, 2));
    await device.receivedAtLeast(5);
    const record = await recordOf('356307042441013');
    device.socket.destroy();

    // Assess
    const [, recordTrace, recordSpan] = TRACEPARENT.exec(record.headers.traceparent ?? '') ?? [];
    const span = await receiver.spanOfTrace(recordTrace!);
    expect([span.name, span.spanId, span.parentSpanId || undefined]).toEqual(['ingest teltonika-tcp', recordSpan, undefined]);
  });
});
