import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import type { Logger } from 'pino';
import { Counter, Gauge, Registry } from 'prom-client';
import { CollectorError } from './errors.ts';
import { decodeTraceRequestJson } from './otlp-json.ts';
import { decodeTraceRequestProtobuf, encodeRpcStatusProtobuf, encodeTraceResponseProtobuf } from './otlp-protobuf.ts';
import { spanJson, summarize, traceHops, TraceStore, type StoredTrace } from './trace-store.ts';
import type { CollectedSpan } from './types.ts';

const gunzipAsync = promisify(gunzip);

/** Options of {@link createTraceCollector}. */
export interface TraceCollectorOptions {
  /** 0 picks a free port (tests, the demo). */
  port?: number;
  host?: string;
  maxTraces?: number;
  maxSpansPerTrace?: number;
  maxBodyBytes?: number;
  /** Log a trace's summary once nothing arrived for it for this long; 0 logs none. */
  summaryIdleMs?: number;
  logger?: Logger;
  registry?: Registry;
}

/** A running collector. */
export interface TraceCollector {
  readonly port: number;
  /** `http://127.0.0.1:<port>`: what OTEL_EXPORTER_OTLP_ENDPOINT takes. */
  readonly endpoint: string;
  readonly store: TraceStore;
  /** Resolves with `check`'s first non-undefined answer, looked at after each request; rejects after `timeoutMs`. */
  waitFor<T>(check: (store: TraceStore) => T | undefined, timeoutMs: number, what?: string): Promise<T>;
  close(): Promise<void>;
}

type Format = 'json' | 'protobuf';

function send(res: ServerResponse, status: number, format: Format, body: { rejected?: number; message?: string; error?: string }): void {
  if (format === 'protobuf') {
    const payload = status === 200 ? encodeTraceResponseProtobuf(body.rejected ?? 0, body.message ?? '') : encodeRpcStatusProtobuf(status === 400 ? 3 : 13, body.error ?? '');
    res.writeHead(status, { 'content-type': 'application/x-protobuf' }).end(payload);
    return;
  }
  const json = status === 200 ? (body.rejected ? { partialSuccess: { rejectedSpans: String(body.rejected), errorMessage: body.message } } : {}) : { code: status === 400 ? 3 : 13, message: body.error };
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) over = true;
      else chunks.push(c);
    });
    req.on('end', () => resolve(over ? 'too-large' : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * An OTLP/HTTP trace receiver (opentelemetry-proto's OTLP/HTTP: `POST /v1/traces`, protobuf or JSON,
 * gzip when Content-Encoding says so) that keeps recent spans grouped by trace in memory and shows
 * them: `GET /api/traces[?limit&service]` (summaries, newest first), `GET /api/traces/<traceId>`
 * (the spans and the hops), `/healthz`, `/readyz`, `/metrics`. Answers as the spec says: 200 with
 * an ExportTraceServiceResponse (a partial success counts spans without valid ids), 400 with a
 * google.rpc.Status for a body that does not decode, 413 above the body limit, 415 for another
 * content type or encoding.
 *
 * @example
 * const collector = await createTraceCollector({ port: 0 });
 * // OTEL_EXPORTER_OTLP_ENDPOINT=collector.endpoint for the processes under test
 * const trace = await collector.waitFor((s) => s.get(traceId), 10_000);
 * await collector.close();
 */
export async function createTraceCollector(options: TraceCollectorOptions = {}): Promise<TraceCollector> {
  const store = new TraceStore({ maxTraces: options.maxTraces ?? 2000, maxSpansPerTrace: options.maxSpansPerTrace ?? 1000 });
  const log = options.logger?.child({ component: 'collector' });
  const maxBody = options.maxBodyBytes ?? 8 * 1024 * 1024;
  const registry = options.registry ?? new Registry();
  const spansTotal = new Counter({ name: 'fleetstream_trace_collector_spans_total', help: 'Spans received, by outcome (accepted, rejected: no valid ids, dropped: trace full)', labelNames: ['outcome'], registers: [registry] });
  const requestsTotal = new Counter({ name: 'fleetstream_trace_collector_requests_total', help: 'POST /v1/traces requests by answer status', labelNames: ['status'], registers: [registry] });
  new Gauge({ name: 'fleetstream_trace_collector_traces', help: 'Traces held in memory', registers: [registry], collect() { this.set(store.size); } });
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const w of [...waiters]) w();
  };

  const receive = async (req: IncomingMessage, res: ServerResponse) => {
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    const format: Format | undefined = type === 'application/x-protobuf' ? 'protobuf' : type === 'application/json' ? 'json' : undefined;
    const answer = (status: number, f: Format, body: Parameters<typeof send>[3]) => {
      requestsTotal.inc({ status: String(status) });
      send(res, status, f, body);
    };
    if (!format) return answer(415, 'json', { error: `unsupported content type "${type}": application/x-protobuf or application/json` });
    const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
    if (encoding !== 'gzip' && encoding !== 'identity') return answer(415, format, { error: `unsupported content encoding "${encoding}"` });
    const raw = await readBody(req, maxBody);
    if (raw === 'too-large') return answer(413, format, { error: `body above ${maxBody} bytes` });
    let spans: CollectedSpan[];
    try {
      const body = encoding === 'gzip' ? await gunzipAsync(raw, { maxOutputLength: maxBody }) : raw;
      spans = format === 'protobuf' ? decodeTraceRequestProtobuf(body) : decodeTraceRequestJson(body.toString('utf8'));
    } catch (err) {
      const e = err instanceof CollectorError ? err : new CollectorError('TRACE_COLLECTOR_BAD_PAYLOAD', `undecodable body: ${(err as Error).message}`, { cause: err });
      log?.warn({ code: e.code, err: e.message, remote: req.socket.remoteAddress }, 'trace request refused');
      return answer(400, format, { error: e.message });
    }
    const valid = spans.filter((s) => /^[0-9a-f]{32}$/.test(s.traceId) && !/^0+$/.test(s.traceId) && /^[0-9a-f]{16}$/.test(s.spanId));
    const rejected = spans.length - valid.length;
    const kept = store.add(valid);
    spansTotal.inc({ outcome: 'accepted' }, kept);
    spansTotal.inc({ outcome: 'dropped' }, valid.length - kept);
    spansTotal.inc({ outcome: 'rejected' }, rejected);
    answer(200, format, { rejected, message: rejected ? `${rejected} spans without a valid trace or span id` : '' });
    notify();
  };

  const read = (path: string, url: URL, res: ServerResponse) => {
    const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (path === '/healthz') return json(200, { status: 'alive' });
    if (path === '/readyz') return json(200, { status: 'ready', failing: [] });
    if (path === '/metrics') {
      registry.metrics().then((text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text), () => res.writeHead(500).end());
      return;
    }
    if (path === '/api/traces') {
      const limit = Math.min(1000, Math.max(1, Number(url.searchParams.get('limit') ?? 20) || 20));
      return json(200, { traces: store.list({ limit, service: url.searchParams.get('service') ?? undefined }) });
    }
    const m = /^\/api\/traces\/([0-9a-fA-F]{32})$/.exec(path);
    if (m) {
      const t = store.get(m[1]!);
      if (!t) return json(404, { error: `trace ${m[1]} is not held (never received, or evicted)` });
      return json(200, { ...summarize(t), hops: traceHops(t.spans), spans: t.spans.map(spanJson) });
    }
    res.writeHead(404).end();
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://collector');
    if (url.pathname === '/v1/traces') {
      if (req.method !== 'POST') return void res.writeHead(405, { allow: 'POST' }).end();
      receive(req, res).catch((err: unknown) => {
        log?.error({ err }, 'trace request failed');
        if (!res.headersSent) res.writeHead(500).end();
      });
      return;
    }
    if (req.method !== 'GET') return void res.writeHead(405, { allow: 'GET' }).end();
    read(url.pathname, url, res);
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 4318, options.host ?? '0.0.0.0', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  log?.info({ port }, 'trace collector listening');

  const logSummary = (t: StoredTrace) => log?.info(summarize(t), 'trace');
  const idleMs = options.summaryIdleMs ?? 5000;
  const timer = idleMs > 0 && log ? setInterval(() => store.takeIdle(idleMs).forEach(logSummary), Math.min(1000, idleMs)) : undefined;
  timer?.unref();

  return {
    port,
    endpoint: `http://127.0.0.1:${port}`,
    store,
    waitFor<T>(check: (s: TraceStore) => T | undefined, timeoutMs: number, what = 'the expected spans'): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const attempt = () => {
          const v = check(store);
          if (v === undefined) return;
          cleanup();
          resolve(v);
        };
        const timeout = setTimeout(() => {
          cleanup();
          reject(new Error(`trace collector: ${what} did not arrive within ${timeoutMs} ms (${store.size} traces held)`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timeout);
          waiters.delete(attempt);
        };
        waiters.add(attempt);
        attempt();
      });
    },
    async close() {
      if (timer) clearInterval(timer);
      if (log) store.takeIdle(0).forEach(logSummary);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
