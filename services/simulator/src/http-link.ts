import { SimulatorError } from './errors.ts';

/** POSTs one JSON ingest body; resolves on 202, throws HTTP_REJECTED (4xx) or HTTP_UNAVAILABLE (5xx, network). */
export async function postTelemetry(baseUrl: string, token: string | undefined, body: Buffer, timeoutMs: number): Promise<void> {
  let res: Response;
  try {
    res = await fetch(new URL('/v1/telemetry', baseUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: new Uint8Array(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw new SimulatorError('SIMULATOR_HTTP_UNAVAILABLE', (err as Error).message, { cause: err });
  }
  await res.arrayBuffer().catch(() => undefined);
  if (res.status === 202) return;
  throw new SimulatorError(res.status >= 500 ? 'SIMULATOR_HTTP_UNAVAILABLE' : 'SIMULATOR_HTTP_REJECTED', `HTTP ${res.status}`);
}
