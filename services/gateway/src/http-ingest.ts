import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { contextFromHeaders, setActiveSpanAttributes, SpanKind, withSpan, type Headers, type OutboundRecord } from '@fleetstream/stream';
import { validateIngest } from '@fleetstream/telemetry';
import { toRawRecord } from './raw-record.ts';
import { bearerToken } from './token-auth.ts';

export const INGEST_PATH = '/v1/telemetry';

export interface HttpIngestOptions {
  rawTopic: string;
  maxBodyBytes: number;
  /** Requests being read or produced at once; more get 503 before their body is read (memory stays under maxInFlight × maxBodyBytes). */
  maxInFlight: number;
  logger: Logger;
  /** Least time between two warnings about refused credentials (the rest are counted in the next one). */
  refusalLogIntervalMs?: number;
  checkToken(token: string): boolean;
  /** Whether Kafka is connected at all (a quick 503 without reading the body). */
  kafkaConnected(): boolean;
  /** Resolves once every record is durable in Kafka. */
  produce(records: OutboundRecord[]): Promise<void>;
  onStatus(status: number): void;
}

/** The answer to a one-record, one-event request (nearly every device request): built once. */
const ACCEPTED_ONE = JSON.stringify({ accepted: 1, records: 1 });

function reply(res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>): void {
  const text = body === ACCEPTED_ONE ? ACCEPTED_ONE : JSON.stringify(body);
  // A flat header list: writeHead takes it without building and walking a header object.
  const list = ['content-type', 'application/json', 'content-length', String(Buffer.byteLength(text))];
  if (headers) for (const k in headers) list.push(k, headers[k]!);
  res.writeHead(status, list);
  res.end(text);
}

/** Reads the body up to `limit` bytes; undefined when it is larger (reading stops there). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.pause();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks, size)));
    req.on('error', reject);
  });
}

/**
 * The records for a valid body. A body whose events all belong to one device is produced as one
 * record, its bytes exactly as posted. A batch that mixes devices is split per device (first
 * appearance order; a device's events keep their order) into `{ "events": [...] }` records, so the
 * key is always the device id and a device's events stay on one partition, in order.
 */
export function ingestRecords(topic: string, body: Buffer, parsed: unknown, deviceIds: readonly string[], receivedAt: number, remote: string, trace?: Headers): OutboundRecord[] {
  const first = deviceIds[0]!;
  if (deviceIds.every((d) => d === first)) {
    return [toRawRecord({ topic, key: first, value: body, protocol: 'json', receivedAt, remote }, trace)];
  }
  const events = (parsed as { events: unknown[] }).events;
  const byDevice = new Map<string, unknown[]>();
  deviceIds.forEach((d, i) => {
    let list = byDevice.get(d);
    if (!list) byDevice.set(d, (list = []));
    list.push(events[i]);
  });
  return [...byDevice].map(([key, list]) =>
    toRawRecord({ topic, key, value: Buffer.from(JSON.stringify({ events: list })), protocol: 'json', receivedAt, remote }, trace),
  );
}

/**
 * POST /v1/telemetry: bearer token (401 missing, 403 wrong), body at most maxBodyBytes (413),
 * JSON ingest v1 (400 with `{ errors: [{ path, message }] }`), 202 only once Kafka acknowledged
 * every record, 503 when it did not. With tracing on each request has a SERVER span, the child of
 * the request's `traceparent` when it carries a valid one (a malformed one is ignored: a new
 * trace), and its records carry the span's context.
 */
export function createHttpIngestHandler(o: HttpIngestOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const send = (res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>) => {
    o.onStatus(status);
    setActiveSpanAttributes({ 'http.response.status_code': status });
    reply(res, status, body, headers);
  };
  const warnRefused = throttledWarning(o.logger, o.refusalLogIntervalMs ?? 10_000);
  let inFlight = 0;
  return (req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const urlPath = q === -1 ? url : url.slice(0, q);
    const span = { kind: SpanKind.SERVER, parent: contextFromHeaders(req.headers), attributes: { 'http.request.method': req.method ?? '', 'url.path': urlPath } };
    void withSpan(urlPath === INGEST_PATH ? `${req.method ?? 'HTTP'} ${INGEST_PATH}` : (req.method ?? 'HTTP'), span, async (trace) => {
      if (urlPath !== INGEST_PATH) return send(res, 404, { error: 'not found' });
      if (req.method !== 'POST') return send(res, 405, { error: 'method not allowed' }, { allow: 'POST' });
      const token = bearerToken(req.headers.authorization);
      const remote = req.socket.remoteAddress ?? '?';
      if (token === undefined) {
        warnRefused({ status: 401, remote }, 'HTTP ingest refused: no bearer token');
        return send(res, 401, { error: 'missing bearer token' }, { 'www-authenticate': 'Bearer' });
      }
      if (!o.checkToken(token)) {
        warnRefused({ status: 403, remote }, 'HTTP ingest refused: token not accepted');
        return send(res, 403, { error: 'token not accepted' });
      }
      if (inFlight >= o.maxInFlight) return send(res, 503, { error: `${o.maxInFlight} requests in flight; retry later` }, { 'retry-after': '1', connection: 'close' });
      inFlight++;
      try {
        await ingest(req, res, trace);
      } finally {
        inFlight--;
      }
    }).catch((err: unknown) => {
      o.logger.error({ err }, 'HTTP ingest failed');
      if (!res.headersSent) send(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  };

  async function ingest(req: IncomingMessage, res: ServerResponse, trace: Headers): Promise<void> {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > o.maxBodyBytes) return send(res, 413, { error: `body over ${o.maxBodyBytes} bytes` }, { connection: 'close' });
    if (!o.kafkaConnected()) return send(res, 503, { error: 'Kafka unavailable; retry later' }, { 'retry-after': '5' });
    const body = await readBody(req, o.maxBodyBytes);
    if (body === undefined) return send(res, 413, { error: `body over ${o.maxBodyBytes} bytes` }, { connection: 'close' });
    const receivedAt = Date.now();
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch (err) {
      return send(res, 400, { errors: [{ path: '', message: `body is not JSON: ${(err as Error).message}` }] });
    }
    const result = validateIngest(parsed);
    if (!result.ok) return send(res, 400, { errors: result.errors });
    const records = ingestRecords(o.rawTopic, body, parsed, result.events.map((e) => e.deviceId), receivedAt, `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? 0}`, trace);
    try {
      await o.produce(records);
    } catch {
      return send(res, 503, { error: 'Kafka did not acknowledge; retry later' }, { 'retry-after': '5' });
    }
    return send(res, 202, result.events.length === 1 && records.length === 1 ? ACCEPTED_ONE : { accepted: result.events.length, records: records.length });
  }
}

/**
 * A warning that is written at most once per `intervalMs`; the ones held back in between are
 * counted in the next (`suppressed`), so a client hammering with a wrong token cannot flood the log.
 * The fields never include the token.
 */
function throttledWarning(logger: Logger, intervalMs: number): (fields: Record<string, unknown>, msg: string) => void {
  let last = -Infinity;
  let suppressed = 0;
  return (fields, msg) => {
    const now = Date.now();
    if (now - last < intervalMs) {
      suppressed++;
      return;
    }
    logger.warn({ ...fields, suppressed }, msg);
    last = now;
    suppressed = 0;
  };
}
