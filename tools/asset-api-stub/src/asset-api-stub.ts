import type { AddressInfo } from 'node:net';
import { DeadlineQueue } from './deadline-queue.ts';
import { createHttp1Server, type StubRequest, type StubResponder } from './http1-server.ts';

/** The asset record the stub answers with (GET /assets/:deviceId). */
export interface StubAsset {
  deviceId: string;
  assetId: string;
  customerId: string;
  model: string;
  owner: string;
  tags: string[];
}

/** Where assets come from: a fixed map, or a function of the device id (undefined = unknown, 404). */
export type AssetSource = Map<string, StubAsset> | ((deviceId: string) => StubAsset | undefined);

/** Options of {@link createAssetApiStub}. */
export interface AssetApiStubOptions {
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  /** Added to every answer. */
  latencyMs?: number;
  /** Share of requests answered 503 (0..1). */
  errorRate?: number;
  /** Share of requests that take `slowTailMs` instead of `latencyMs` (0..1). */
  slowTailRate?: number;
  slowTailMs?: number;
  /** Defaults to {@link syntheticAsset}: every device is known except ids ending in '0'. */
  assets?: AssetSource;
  /** Uniform random source in [0, 1); `Math.random` by default. */
  random?: () => number;
}

/** A running stub. */
export interface AssetApiStub {
  readonly port: number;
  readonly url: string;
  /** Counters since start (or the last `resetStats`). */
  readonly stats: { requests: number; byDevice: Map<string, number> };
  /** The next `n` requests answer `status` (503 by default) before anything else. */
  failNext(n: number, status?: number): void;
  /** Changes the latency of later requests. */
  setLatency(ms: number): void;
  resetStats(): void;
  close(): Promise<void>;
}

/**
 * The default fleet: every device is known, except those whose id ends in '0' (about one in ten
 * for numeric ids), which answer 404. Deterministic, so tests and the bench can predict answers.
 */
export function syntheticAsset(deviceId: string): StubAsset | undefined {
  if (deviceId.endsWith('0')) return undefined;
  return {
    deviceId,
    assetId: `asset-${deviceId}`,
    customerId: `customer-${deviceId.length > 2 ? deviceId.slice(-2) : deviceId}`,
    model: 'FMC130',
    owner: 'fleetstream',
    tags: ['stub'],
  };
}

/**
 * An asset-details HTTP service for tests, the demo and the bench: a real HTTP/1.1 server (keep-alive,
 * pipelining; see {@link createHttp1Server}) with configurable latency, error rate and slow tail, and scripted failures.
 *
 * GET /assets/:deviceId -> 200 JSON {@link StubAsset} | 404 (unknown device) | 503 (injected).
 * GET /healthz -> 200.
 *
 * @example
 * const stub = await createAssetApiStub({ port: 0, latencyMs: 20 });
 * await fetch(`${stub.url}/assets/dev-1`);
 * await stub.close();
 */
export async function createAssetApiStub(options: AssetApiStubOptions = {}): Promise<AssetApiStub> {
  const random = options.random ?? Math.random;
  const source = options.assets ?? syntheticAsset;
  const lookup = typeof source === 'function' ? source : (id: string) => source.get(id);
  let latencyMs = options.latencyMs ?? 0;
  const errorRate = options.errorRate ?? 0;
  const slowTailRate = options.slowTailRate ?? 0;
  const slowTailMs = options.slowTailMs ?? 0;
  const scripted: number[] = [];
  const stats = { requests: 0, byDevice: new Map<string, number>() };

  // Every delayed answer waits in one deadline-ordered queue (one timer for the stub), due at its
  // arrival + latency on the high-resolution clock: see DeadlineQueue for why not a timer each.
  // The queue learns how late its timer wakes and answers that much early (at most 2 ms), so the
  // mean hold is the configured latency, not latency + 1-2 ms of timer granularity and loop work.
  const due = new DeadlineQueue({ early: 'on-time-mean' });

  const send = (res: StubResponder, status: number, body: string, arrivedAt: number): void => {
    // Server-Timing tells a client how long the stub held the request (the bench reports it).
    res.send(status, body, `server-timing: hold;dur=${(performance.now() - arrivedAt).toFixed(2)}\r\n`);
  };
  /** A request whose handling threw (a lookup function, a malformed percent-encoding) is answered 500. */
  const failed = (res: StubResponder, arrivedAt: number): void => send(res, 500, '{"error":"stub failure"}', arrivedAt);

  const reply = (res: StubResponder, deviceId: string, scriptedStatus: number | undefined, arrivedAt: number): void => {
    if (res.closed) return; // the client gave up (timeout): nothing to answer
    if (scriptedStatus !== undefined) {
      send(res, scriptedStatus, '{"error":"scripted failure"}', arrivedAt);
      return;
    }
    if (errorRate > 0 && random() < errorRate) {
      send(res, 503, '{"error":"unavailable"}', arrivedAt);
      return;
    }
    const asset = lookup(deviceId);
    if (!asset) {
      send(res, 404, '{"error":"unknown device"}', arrivedAt);
      return;
    }
    send(res, 200, JSON.stringify(asset), arrivedAt);
  };

  const answer = ({ method, path, arrivedAt }: StubRequest, res: StubResponder): void => {
    if (method === 'GET' && path === '/healthz') {
      send(res, 200, '{"status":"alive"}', arrivedAt);
      return;
    }
    const m = /^\/assets\/([^/]+)$/.exec(path);
    if (method !== 'GET' || !m) {
      send(res, 404, '{"error":"not found"}', arrivedAt);
      return;
    }
    const deviceId = decodeURIComponent(m[1] as string);
    stats.requests++;
    stats.byDevice.set(deviceId, (stats.byDevice.get(deviceId) ?? 0) + 1);
    const scriptedStatus = scripted.shift();
    const delay = slowTailRate > 0 && random() < slowTailRate ? slowTailMs : latencyMs;
    if (delay <= 0) {
      reply(res, deviceId, scriptedStatus, arrivedAt);
      return;
    }
    due.at(arrivedAt + delay, () => {
      try {
        reply(res, deviceId, scriptedStatus, arrivedAt);
      } catch {
        failed(res, arrivedAt);
      }
    });
  };

  const server = createHttp1Server((req, res) => {
    try {
      answer(req, res);
    } catch {
      failed(res, req.arrivedAt);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    stats,
    failNext: (n, status = 503) => {
      for (let i = 0; i < n; i++) scripted.push(status);
    },
    setLatency: (ms) => {
      latencyMs = ms;
    },
    resetStats: () => {
      stats.requests = 0;
      stats.byDevice.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        due.clear();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
