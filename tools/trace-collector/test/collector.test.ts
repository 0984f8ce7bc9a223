import { gzipSync } from 'node:zlib';
import { createTraceCollector, decodeTraceRequestProtobuf, type TraceCollector } from '../src/index.ts';

/** A minimal OTLP/JSON request: one resource, one scope, the given spans. */
function request(service: string, spans: Record<string, unknown>[]) {
  return { resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] }, scopeSpans: [{ scope: { name: 'test' }, spans }] }] };
}
const T1 = 'aa'.repeat(16);
const span = (traceId: string, spanId: string, parentSpanId: string, name: string, startMs: number, endMs: number) => ({
  traceId, spanId, parentSpanId, name, kind: 1, startTimeUnixNano: String(BigInt(startMs) * 1_000_000n), endTimeUnixNano: String(BigInt(endMs) * 1_000_000n),
});

const post = (c: TraceCollector, body: string | Buffer, headers: Record<string, string>) => fetch(`${c.endpoint}/v1/traces`, { method: 'POST', body, headers });
const postJson = (c: TraceCollector, body: unknown) => post(c, JSON.stringify(body), { 'content-type': 'application/json' });

describe('the trace collector over HTTP', () => {
  let c: TraceCollector;
  beforeEach(async () => {
    c = await createTraceCollector({ port: 0, host: '127.0.0.1', maxTraces: 3, maxSpansPerTrace: 4, maxBodyBytes: 64 * 1024 });
  });
  afterEach(() => c.close());

  test('lists traces newest first and shows one trace as hops ordered by start with offsets, durations and depth', async () => {
    // Act
    const res = await postJson(c, request('gateway', [span(T1, '01'.repeat(8), '', 'gateway receive', 1000, 1004)]));
    await postJson(c, request('parse', [span(T1, '02'.repeat(8), '01'.repeat(8), 'parse chunk', 1010, 1013)]));
    await postJson(c, request('store', [span('bb'.repeat(16), '03'.repeat(8), '', 'store chunk', 2000, 2001)]));
    const list = (await (await fetch(`${c.endpoint}/api/traces?limit=5`)).json()) as { traces: { traceId: string; services: string[]; spans: number; durationMs: number; rootName: string }[] };
    const one = (await (await fetch(`${c.endpoint}/api/traces/${T1.toUpperCase()}`)).json()) as { hops: unknown[]; spans: { startTimeUnixNano: string }[] };

    // Assess
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({});
    expect(list.traces.map((t) => [t.traceId, t.services, t.spans, t.durationMs, t.rootName])).toEqual([
      ['bb'.repeat(16), ['store'], 1, 1, 'store chunk'],
      [T1, ['gateway', 'parse'], 2, 13, 'gateway receive'],
    ]);
    expect(one.hops).toEqual([
      { service: 'gateway', name: 'gateway receive', spanId: '01'.repeat(8), parentSpanId: '', depth: 0, startOffsetMs: 0, durationMs: 4 },
      { service: 'parse', name: 'parse chunk', spanId: '02'.repeat(8), parentSpanId: '01'.repeat(8), depth: 1, startOffsetMs: 10, durationMs: 3 },
    ]);
    expect(one.spans[0]!.startTimeUnixNano).toBe('1000000000');
    expect((await fetch(`${c.endpoint}/api/traces/${'cc'.repeat(16)}`)).status).toBe(404);
    expect(((await (await fetch(`${c.endpoint}/api/traces?service=store`)).json()) as { traces: unknown[] }).traces).toHaveLength(1);
  });

  test('answers a partial success naming the spans without a valid trace or span id, and keeps the others', async () => {
    // Act
    const res = await postJson(c, request('parse', [span(T1, '01'.repeat(8), '', 'ok', 1, 2), span('00'.repeat(16), '02'.repeat(8), '', 'zero trace id', 1, 2), span(T1, '', '', 'no span id', 1, 2)]));

    // Assess
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ partialSuccess: { rejectedSpans: '2', errorMessage: '2 spans without a valid trace or span id' } });
    expect(c.store.get(T1)!.spans.map((s) => s.name)).toEqual(['ok']);
    expect(await (await fetch(`${c.endpoint}/metrics`)).text()).toMatch(/fleetstream_trace_collector_spans_total\{outcome="rejected"\} 2/);
  });

  test.each([
    ['a body that is not protobuf', Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]), 'application/x-protobuf', 400],
    ['a body that is not JSON', Buffer.from('{"resourceSpans": ['), 'application/json', 400],
    ['an id of the wrong length', Buffer.from(JSON.stringify(request('x', [span('abc', '01'.repeat(8), '', 'n', 1, 2)]))), 'application/json', 400],
    ['another content type', Buffer.from('hello'), 'text/plain', 415],
    ['a body above the limit', Buffer.alloc(65 * 1024, 0x20), 'application/json', 413],
  ])('refuses %s with the OTLP status and holds nothing', async (_what, body, type, status) => {
    // Act
    const res = await post(c, body, { 'content-type': type });

    // Assess
    expect(res.status).toBe(status);
    expect(c.store.size).toBe(0);
    if (type === 'application/x-protobuf') {
      // google.rpc.Status { code = 3 (INVALID_ARGUMENT), message }
      const bytes = Buffer.from(await res.arrayBuffer());
      expect(bytes.subarray(0, 2)).toEqual(Buffer.from([0x08, 0x03]));
      expect(bytes.toString('utf8')).toContain('protobuf:');
    } else if (status === 400) expect(await res.json()).toMatchObject({ code: 3, message: expect.stringContaining('json:') });
  });

  test('decodes a gzip body when Content-Encoding says so, and refuses an encoding it does not know', async () => {
    // Act
    const gz = await post(c, gzipSync(JSON.stringify(request('enrich', [span(T1, '01'.repeat(8), '', 'enrich chunk', 1, 2)]))), { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    const br = await post(c, Buffer.from('x'), { 'content-type': 'application/json', 'content-encoding': 'br' });

    // Assess
    expect(gz.status).toBe(200);
    expect(c.store.get(T1)!.spans[0]!.serviceName).toBe('enrich');
    expect(br.status).toBe(415);
  });

  test('stays within its bounds: the least recently updated trace goes first and a full trace drops later spans', async () => {
    // Act
    for (const [i, t] of ['01', '02', '03', '04'].entries()) await postJson(c, request('s', [span(t.repeat(16), '01'.repeat(8), '', `t${i}`, 1, 2)]));
    await postJson(c, request('s', ['01', '02', '03', '04', '05'].map((id) => span('02'.repeat(16), id.repeat(8), '', 'many', 1, 2))));

    // Assess
    expect(c.store.size).toBe(3);
    expect(c.store.get('01'.repeat(16))).toBeUndefined();
    expect(c.store.evictedTraces).toBe(1);
    expect(c.store.get('02'.repeat(16))!.spans).toHaveLength(4);
    expect(c.store.droppedSpans).toBe(2);
  });
});

describe('the protobuf reader', () => {
  test('skips fields it does not know, of every wire type, and reads the ones around them', () => {
    // ExportTraceServiceRequest { 1: ResourceSpans { 2: ScopeSpans { 2: Span { 1: trace_id, 99: varint, 98: fixed32, 97: fixed64, 5: name } } } }
    const len = (no: number, b: Buffer) => Buffer.concat([Buffer.from([(no << 3) | 2, b.length]), b]);
    const spanBytes = Buffer.concat([
      len(1, Buffer.from(T1, 'hex')),
      Buffer.from([0x98, 0x06, 0x7f]), // 99 varint
      Buffer.from([0x95, 0x06, 1, 2, 3, 4]), // 98 fixed32
      Buffer.from([0x89, 0x06, 1, 2, 3, 4, 5, 6, 7, 8]), // 97 fixed64
      len(2, Buffer.from('01'.repeat(8), 'hex')),
      len(5, Buffer.from('named')),
    ]);
    const body = len(1, len(2, len(2, spanBytes)));

    // Act
    const spans = decodeTraceRequestProtobuf(body);

    // Assess
    expect(spans.map((s) => [s.traceId, s.spanId, s.name, s.serviceName])).toEqual([[T1, '01'.repeat(8), 'named', '']]);
  });
});
