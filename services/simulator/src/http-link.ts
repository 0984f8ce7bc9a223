import { Agent, request } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { SimulatorError } from './errors.ts';

/**
 * Keep-alive agents shared by every HTTP device of the process: a device's request reuses an idle
 * connection instead of opening one, as fetch's pool did, at a fraction of fetch's CPU per request
 * (web streams, Request/Response objects and an AbortSignal timer per call: about half of the
 * simulator's CPU at 1,000 events/s).
 */
const agents = { http: new Agent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };

/** The parsed ingest URL of a base URL, cached (every device posts to the same one). */
const urls = new Map<string, URL>();
function ingestUrl(baseUrl: string): URL {
  let u = urls.get(baseUrl);
  if (!u) urls.set(baseUrl, (u = new URL('/v1/telemetry', baseUrl)));
  return u;
}

/** POSTs one JSON ingest body; resolves on 202, throws HTTP_REJECTED (4xx) or HTTP_UNAVAILABLE (5xx, network, timeout). */
export function postTelemetry(baseUrl: string, token: string | undefined, body: Buffer, timeoutMs: number): Promise<void> {
  const url = ingestUrl(baseUrl);
  const https = url.protocol === 'https:';
  const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': body.length };
  if (token) headers.authorization = `Bearer ${token}`;
  return new Promise((resolve, reject) => {
    const req = (https ? httpsRequest : request)(url, { method: 'POST', headers, agent: https ? agents.https : agents.http, timeout: timeoutMs }, (res) => {
      // The body is drained so the connection goes back to the pool.
      res.resume();
      res.on('end', () => {
        if (res.statusCode === 202) resolve();
        else reject(new SimulatorError((res.statusCode ?? 500) >= 500 ? 'SIMULATOR_HTTP_UNAVAILABLE' : 'SIMULATOR_HTTP_REJECTED', `HTTP ${res.statusCode}`));
      });
      res.on('error', (err) => reject(new SimulatorError('SIMULATOR_HTTP_UNAVAILABLE', err.message, { cause: err })));
    });
    // `timeout` is the socket's idle time: no answer within it ends the request.
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err) => reject(new SimulatorError('SIMULATOR_HTTP_UNAVAILABLE', err.message, { cause: err })));
    req.end(body);
  });
}
