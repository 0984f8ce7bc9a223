import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { installTracing, withSpan, type Tracing } from '@fleetstream/stream';
import { AssetApiClient } from '../src/asset-client.ts';
import { traceAssetCalls } from '../src/http-tracing.ts';

/**
 * The asset API call's client span (@opentelemetry/instrumentation-undici on the client's
 * `pool.dispatch`, under ESM on Node 24): a child of the span the call is made in, and the call
 * carries that client span's traceparent.
 */
describe('asset API calls with tracing on', () => {
  let server: Server;
  let url: string;
  const seen: IncomingHttpHeaders[] = [];
  let tracing: Tracing;
  let exporter: InMemorySpanExporter;
  let untrace: () => void;

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(req.headers);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ deviceId: 'dev-1', assetId: 'a-1', fleetId: 'f-1', vehicleType: 'truck', driverId: null, updatedAt: 1 }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  beforeEach(async () => {
    exporter = new InMemorySpanExporter();
    tracing = await installTracing({ serviceName: 'enrich', exporter, processor: 'simple' });
    untrace = await traceAssetCalls();
  });
  afterEach(async () => {
    untrace();
    await tracing.shutdown();
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  test('each call has a CLIENT span, the child of the chunk span it was made in, and sends its traceparent', async () => {
    // Prepare
    const client = new AssetApiClient({ url, connections: 2, connectTimeoutMs: 1_000, readTimeoutMs: 2_000 });

    // Act
    await withSpan('process telemetry.parsed', { kind: SpanKind.CONSUMER }, () => client.lookup('dev-1').result);
    await client.close();

    // Assess
    const spans = exporter.getFinishedSpans();
    const chunk = spans.find((s) => s.kind === SpanKind.CONSUMER)!;
    const call = spans.find((s) => s.kind === SpanKind.CLIENT)!;
    expect(call).toBeDefined();
    expect(call.name).toBe('GET');
    expect(call.parentSpanContext?.spanId).toBe(chunk.spanContext().spanId);
    expect(call.spanContext().traceId).toBe(chunk.spanContext().traceId);
    expect(call.attributes['http.response.status_code']).toBe(200);
    expect(seen.at(-1)?.traceparent).toBe(`00-${call.spanContext().traceId}-${call.spanContext().spanId}-01`);
  });
});
