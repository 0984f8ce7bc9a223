// @servers kafka cassandra
/**
 * Traces seen end to end (issue #22): gateway, parse, enrich and store run as real processes on
 * this run's topics and keyspace, exporting their spans with the standard OTEL_* variables to the
 * trace collector running in this test; the simulator sends over Teltonika TCP, plain fetch over
 * HTTP JSON, and `fleetstream dlq replay` re-sends a dead letter.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import cassandra from 'cassandra-driver';
import { createAssetApiStub, type AssetApiStub } from '@fleetstream/asset-api-stub';
import { freePort } from '@fleetstream/devstack';
import { createSimulator } from '@fleetstream/simulator';
import { brokers, produce, readTopic, startServiceProcess, suffix, waitFor, type ServiceProcess } from '@fleetstream/test-kit';
import { createTraceCollector, type CollectedSpan, type TraceCollector } from '@fleetstream/trace-collector';
import { applyTopology, BIN, contactPoints, pipelineTopics, repo } from './helpers/pipeline.ts';

const id = suffix();
const prefix = `e2e-${id}-`;
const keyspace = `e2e_${id}`;
const topics = pipelineTopics(prefix);
const TOKEN = 'e2e-token';
const HOPS = ['gateway', 'parse', 'enrich', 'store'] as const;

/** W3C traceparent: version-traceid-parentid-flags. */
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;
const traceIdOf = (traceparent: string | undefined) => TRACEPARENT.exec(traceparent ?? '')?.[1];

/**
 * The hop spans of a trace, one per service, each the child of the one before: the gateway span
 * (the trace's root, or the child of `rootParent`), then for parse, enrich and store the span whose
 * parent is the previous hop's span. Undefined until all four are there.
 */
function hopChain(spans: readonly CollectedSpan[], rootParent = ''): CollectedSpan[] | undefined {
  const chain: CollectedSpan[] = [];
  let parentIds = new Set([rootParent]);
  for (const service of HOPS) {
    const hop = spans.find((s) => s.serviceName === service && parentIds.has(s.parentSpanId));
    if (!hop) return undefined;
    chain.push(hop);
    // A hop's span may sit under another span of the same service (e.g. the chunk span of a
    // consumer under its receive span): the next hop may be the child of any span of this service
    // below the hop.
    const below = new Set([hop.spanId]);
    for (let grew = true; grew; ) {
      grew = false;
      for (const s of spans) {
        if (s.serviceName !== service || !below.has(s.parentSpanId) || below.has(s.spanId)) continue;
        below.add(s.spanId);
        grew = true;
      }
    }
    parentIds = below;
  }
  return chain;
}

describe('traces end to end through gateway, parse, enrich and store', () => {
  let collector: TraceCollector;
  let stub: AssetApiStub;
  const services: { name: string; proc: ServiceProcess }[] = [];
  let tcpPort: number;
  let httpPort: number;

  beforeAll(async () => {
    applyTopology(prefix, keyspace);
    collector = await createTraceCollector({ port: 0, host: '127.0.0.1' });
    stub = await createAssetApiStub({ port: 0, host: '127.0.0.1' });
    [tcpPort, httpPort] = [await freePort(), await freePort()];
    // Small batch delay so spans arrive within the test's waits; both OTLP encodings are in use.
    const otel = (protocol: string) => ({ OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: protocol, OTEL_BSP_SCHEDULE_DELAY: '100', SHUTDOWN_TIMEOUT_MS: '10000' });
    const specs: [string, Record<string, string>][] = [
      ['parse', { ...otel('http/protobuf'), INPUT_TOPIC: topics.raw, OUTPUT_TOPIC: topics.parsed, DLQ_TOPIC: topics.dlq, CONSUMER_GROUP: `${prefix}parse` }],
      ['enrich', { ...otel('http/json'), INPUT_TOPIC: topics.parsed, OUTPUT_TOPIC: topics.enriched, REFERENCE_TOPIC: topics.assets, DLQ_TOPIC: topics.dlq, CONSUMER_GROUP: `${prefix}enrich`, ASSET_API_URL: stub.url }],
      ['store', { ...otel('http/protobuf'), INPUT_TOPIC: topics.enriched, DLQ_TOPIC: topics.dlq, CONSUMER_GROUP: `${prefix}store`, CASSANDRA_CONTACT_POINTS: contactPoints, CASSANDRA_KEYSPACE: keyspace }],
      ['gateway', { ...otel('http/json'), RAW_TOPIC: topics.raw, DLQ_TOPIC: topics.dlq, GATEWAY_TCP_PORT: String(tcpPort), GATEWAY_HTTP_PORT: String(httpPort), GATEWAY_UDP_ENABLED: 'false', GATEWAY_TOKENS: TOKEN }],
    ];
    for (const [name, env] of specs) {
      const proc = startServiceProcess(`${repo}services/${name}/src/index.ts`, env);
      services.push({ name, proc });
      const port = await proc.healthPort;
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200, `${name} ready`, 120_000, 250);
    }
  }, 300_000);

  afterAll(async () => {
    for (const { proc } of [...services].reverse()) {
      proc.child.kill('SIGTERM');
      await proc.exited;
    }
    await collector?.close();
    await stub?.close();
    const cql = new cassandra.Client({ contactPoints: contactPoints.split(','), localDataCenter: 'datacenter1' });
    await cql.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`).catch(() => undefined);
    await cql.shutdown();
  }, 120_000);

  test('one Teltonika TCP packet from the simulator yields gateway, parse, enrich and store spans in one trace, each hop the child of the one before, in time order', async () => {
    // Prepare
    const imeiBase = 356_307_090_000_000 + Math.floor(Math.random() * 1_000_000) * 10 + 1;
    const deviceId = String(imeiBase);

    // Act
    const summary = await createSimulator({ devices: 1, mode: 'steady', packetsPerDevice: 1, recordsPerPacket: 1, tcp: `127.0.0.1:${tcpPort}`, imeiBase, live: false }).run();
    const [raw] = await readTopic(topics.raw, { until: (rs) => rs.some((r) => r.key === deviceId) }).then((rs) => rs.filter((r) => r.key === deviceId));
    const traceId = traceIdOf(raw!.headers.traceparent);
    if (!traceId) throw new Error(`the gateway's raw record carries no valid traceparent header (headers: ${Object.keys(raw!.headers).join(', ')})`);
    const chain = await collector.waitFor((s) => hopChain(s.get(traceId)?.spans ?? []), 60_000, `the four hops of trace ${traceId}`);

    // Assess
    expect(summary.acked).toBe(1);
    expect(traceId).toBeDefined();
    expect(chain.map((s) => [s.serviceName, s.traceId])).toEqual(HOPS.map((h) => [h, traceId]));
    expect(chain[0]!.parentSpanId).toBe('');
    for (let i = 1; i < chain.length; i++) expect(chain[i]!.startTimeUnixNano).toBeGreaterThanOrEqual(chain[i - 1]!.startTimeUnixNano);
    const spans = collector.store.get(traceId!)!.spans;
    const below = (hop: CollectedSpan) => spans.filter((s) => s.serviceName === hop.serviceName && s.spanId !== hop.spanId);
    // enrich called the asset API (a client span under its hop), store wrote Cassandra (a child of its hop).
    expect(below(chain[2]!).some((s) => s.kind === 3)).toBe(true);
    expect(below(chain[3]!).length).toBeGreaterThan(0);
  });

  test('an HTTP JSON packet with a client traceparent continues that trace, and a malformed traceparent is ignored (a new trace, the packet accepted)', async () => {
    // Prepare
    const clientTrace = randomBytes(16).toString('hex');
    const clientSpan = randomBytes(8).toString('hex');
    const devices = [String(356_307_091_000_001 + Math.floor(Math.random() * 1_000_000) * 10), String(356_307_092_000_001 + Math.floor(Math.random() * 1_000_000) * 10)];
    const post = (deviceId: string, traceparent: string) =>
      fetch(`http://127.0.0.1:${httpPort}/v1/telemetry`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, traceparent },
        body: JSON.stringify({ deviceId, eventTime: Date.now() - 1000, position: { lat: 54.68, lon: 25.28, altitude: 100, heading: 90, speed: 30, satellites: 9 }, priority: 0, eventIoId: 0, io: { 239: 1 } }),
      });

    // Act
    const continued = await post(devices[0]!, `00-${clientTrace}-${clientSpan}-01`);
    const malformed = await post(devices[1]!, `00-${clientTrace.slice(0, 30)}zz-${clientSpan}-01`);
    const chain = await collector.waitFor((s) => hopChain(s.get(clientTrace)?.spans ?? [], clientSpan), 60_000, `the four hops of the client's trace ${clientTrace}`);
    const raws = await readTopic(topics.raw, { until: (rs) => rs.some((r) => r.key === devices[1]) });
    const newTrace = traceIdOf(raws.find((r) => r.key === devices[1])!.headers.traceparent);
    if (!newTrace) throw new Error('the raw record of the request with a malformed traceparent carries no valid traceparent header');
    const fresh = await collector.waitFor((s) => hopChain(s.get(newTrace)?.spans ?? []), 60_000, `the four hops of the new trace ${newTrace}`);

    // Assess
    expect([continued.status, malformed.status].every((s) => s >= 200 && s < 300)).toBe(true);
    expect(chain[0]!.parentSpanId).toBe(clientSpan);
    expect(chain.map((s) => s.traceId)).toEqual(HOPS.map(() => clientTrace));
    expect(newTrace).toBeDefined();
    expect(newTrace).not.toBe(clientTrace);
    expect(fresh[0]!.parentSpanId).toBe('');
  });

  test('a record dead-lettered by parse keeps its traceparent in the DLQ, and `fleetstream dlq replay` re-sends it with the same trace id', async () => {
    // Prepare: a raw record parse cannot decode (a JSON body failing validation), as a traced producer wrote it.
    const traceId = randomBytes(16).toString('hex');
    const traceparent = `00-${traceId}-${randomBytes(8).toString('hex')}-01`;
    const deviceId = `dlq-${id}`;
    await produce(topics.raw, [{ key: deviceId, value: JSON.stringify({ deviceId, eventTime: 'yesterday' }), headers: { protocol: 'json', receivedAt: String(Date.now()), traceparent } }]);
    const [dead] = await readTopic(topics.dlq, { until: (rs) => rs.some((r) => r.key === deviceId) }).then((rs) => rs.filter((r) => r.key === deviceId));
    const parseSpans = (s: TraceCollector['store']) => s.get(traceId)?.spans.filter((sp) => sp.serviceName === 'parse').length ?? 0;
    await collector.waitFor((s) => parseSpans(s) || undefined, 30_000, `parse's span of the first attempt in trace ${traceId}`);
    await new Promise((r) => setTimeout(r, 1000)); // the rest of that batch
    const before = parseSpans(collector.store);

    // Act
    const replay = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(process.execPath, [BIN, 'dlq', 'replay', '--reason', dead!.headers['dlq.error.class']!, '--topic', topics.dlq, '--source-topic', topics.raw, '--json'], { env: { PATH: process.env.PATH, KAFKA_BROKERS: brokers().join(',') }, timeout: 90_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
      ),
    );
    const replayed = await readTopic(topics.raw, { until: (rs) => rs.some((r) => r.key === deviceId && r.headers['dlq.replayed'] !== undefined) }).then((rs) => rs.find((r) => r.key === deviceId && r.headers['dlq.replayed'] !== undefined)!);
    // parse takes the replayed record up again inside the original trace.
    const after = await collector.waitFor((s) => (parseSpans(s) > before ? parseSpans(s) : undefined), 60_000, `parse's span of the replayed record in trace ${traceId}`);

    // Assess
    expect(dead!.headers.traceparent).toBe(traceparent);
    expect(replay.code).toBe(0);
    expect((JSON.parse(replay.stdout) as { replayed: { headers: Record<string, string> }[] }).replayed.map((r) => traceIdOf(r.headers.traceparent))).toEqual([traceId]);
    expect(traceIdOf(replayed.headers.traceparent)).toBe(traceId);
    expect(replayed.headers['dlq.replayed']).toBe(`${topics.dlq}/${dead!.partition}/${dead!.offset}`);
    expect(after).toBeGreaterThan(before);
  }, 240_000);
});
