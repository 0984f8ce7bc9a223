import { Agent, request, type RequestOptions } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { SimulatorError } from './errors.ts';
import type { TimerWheel } from './timer-wheel.ts';

/**
 * Keep-alive agents shared by every HTTP device of the process: a device's request reuses an idle
 * connection instead of opening one, as fetch's pool did, at a fraction of fetch's CPU per request
 * (web streams, Request/Response objects and an AbortSignal timer per call: about half of the
 * simulator's CPU at 1,000 events/s).
 */
// maxFreeSockets above the default 256: with a thousand HTTP devices more than 256 connections go
// idle between two sends, and each one closed over the limit is a new connection (and a TCP
// handshake on both sides) at the next send.
const agents = { http: new Agent({ keepAlive: true, maxFreeSockets: 65_536 }), https: new HttpsAgent({ keepAlive: true, maxFreeSockets: 65_536 }) };

/** The request options of a base URL's ingest endpoint, built once (every device posts to the same one). */
const targets = new Map<string, { https: boolean; options: RequestOptions }>();
function ingestTarget(baseUrl: string): { https: boolean; options: RequestOptions } {
  let t = targets.get(baseUrl);
  if (!t) {
    const url = new URL('/v1/telemetry', baseUrl);
    const https = url.protocol === 'https:';
    const options = { protocol: url.protocol, hostname: url.hostname.replace(/^\[|\]$/g, ''), port: url.port, path: url.pathname, method: 'POST', agent: https ? agents.https : agents.http };
    targets.set(baseUrl, (t = { https, options }));
  }
  return t;
}

/**
 * POSTs one JSON ingest body; resolves on 202, throws HTTP_REJECTED (4xx) or HTTP_UNAVAILABLE (5xx,
 * network, timeout). With `wheel`, the timeout is a deadline on it (the whole request) instead of a
 * socket timer per request.
 */
export function postTelemetry(baseUrl: string, token: string | undefined, body: Buffer, timeoutMs: number, wheel?: TimerWheel): Promise<void> {
  const { https, options } = ingestTarget(baseUrl);
  const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': body.length };
  if (token) headers.authorization = `Bearer ${token}`;
  return new Promise((resolve, reject) => {
    const req = (https ? httpsRequest : request)({ ...options, headers, timeout: wheel ? undefined : timeoutMs }, (res) => {
      // The body is drained so the connection goes back to the pool.
      res.resume();
      res.on('end', () => {
        if (deadline) wheel!.cancel(deadline);
        if (res.statusCode === 202) resolve();
        else reject(new SimulatorError((res.statusCode ?? 500) >= 500 ? 'SIMULATOR_HTTP_UNAVAILABLE' : 'SIMULATOR_HTTP_REJECTED', `HTTP ${res.statusCode}`));
      });
      res.on('error', (err) => reject(new SimulatorError('SIMULATOR_HTTP_UNAVAILABLE', err.message, { cause: err })));
    });
    const late = () => req.destroy(new Error(`no answer within ${timeoutMs} ms`));
    const deadline = wheel?.at(Date.now() + timeoutMs, late);
    // `timeout` (without a wheel) is the socket's idle time: no answer within it ends the request.
    req.on('timeout', late);
    req.on('error', (err) => {
      if (deadline) wheel!.cancel(deadline);
      reject(new SimulatorError('SIMULATOR_HTTP_UNAVAILABLE', err.message, { cause: err }));
    });
    req.end(body);
  });
}
