import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** A named readiness check: true when that part is ready. */
export type ReadinessCheck = () => boolean | Promise<boolean>;

export interface HealthServer {
  readonly port: number;
  /** Adds (or replaces) a readiness check; /readyz is 200 only when all pass. */
  setReadiness(name: string, check: ReadinessCheck): void;
  close(): Promise<void>;
}

/**
 * One port per service: GET /healthz (alive: answering at all means the event loop turns),
 * GET /readyz (every readiness check passes; the body names the failing ones), GET /metrics.
 */
export async function startHealthServer(options: { port: number; registry: Registry; host?: string }): Promise<HealthServer> {
  const checks = new Map<string, ReadinessCheck>();
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') {
      res.writeHead(405).end();
      return;
    }
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"alive"}');
      return;
    }
    if (path === '/readyz') {
      void (async () => {
        const failing: string[] = [];
        for (const [name, check] of checks) {
          try {
            if (!(await check())) failing.push(name);
          } catch {
            failing.push(name);
          }
        }
        const ready = failing.length === 0;
        res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: ready ? 'ready' : 'not ready', failing }));
      })();
      return;
    }
    if (path === '/metrics') {
      options.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': options.registry.contentType }).end(text),
        () => res.writeHead(500).end(),
      );
      return;
    }
    res.writeHead(404).end();
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    setReadiness: (name, check) => void checks.set(name, check),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
