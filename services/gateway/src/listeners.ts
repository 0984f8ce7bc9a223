import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from 'node:net';
import type { ServiceDeps } from '@fleetstream/stream';
import type { GatewayConfig } from './config.ts';
import { isCountedClose, type GatewayMetrics } from './gateway-metrics.ts';
import { createHttpIngestHandler } from './http-ingest.ts';
import type { RawSink } from './raw-sink.ts';
import { TcpSession, type TcpSessionHost } from './tcp-session.ts';
import { createTokenCheck } from './token-auth.ts';
import { UdpListener } from './udp-listener.ts';

/** The device-facing side of the gateway: Teltonika TCP sessions, Teltonika UDP, HTTP JSON ingest. */
export interface Listeners {
  readonly ports: { tcp: number; http: number; udp: number };
  /** Open device sessions. */
  readonly sessions: number;
  /** Listens on every configured port (0 = a random one). */
  start(): Promise<void>;
  /**
   * Stops accepting; lets the packet in flight on each connection finish (and be acked) until
   * `drained` resolves or the deadline comes, then closes every connection.
   */
  stop(deadline: number, drained: () => Promise<void>): Promise<void>;
}

function listen(server: TcpServer | HttpServer, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: TcpServer | HttpServer): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Every listener of the config, each sending what it receives to `sink`. */
export function createListeners(deps: ServiceDeps<GatewayConfig>, gm: GatewayMetrics, sink: RawSink): Listeners {
  const { config } = deps;
  const service = deps.name;
  const log = deps.logger.child({ component: 'gateway' });
  const allow = new Set(config.GATEWAY_IMEI_ALLOW);
  const sessions = new Set<TcpSession>();
  const ports = { tcp: 0, http: 0, udp: 0 };

  const host: TcpSessionHost = {
    maxPacketBytes: config.GATEWAY_MAX_PACKET_BYTES,
    idleTimeoutMs: config.GATEWAY_IDLE_TIMEOUT_MS,
    rawTopic: config.RAW_TOPIC,
    allowImei: (imei) => allow.size === 0 || allow.has(imei),
    forward: (input) => sink.forward(input),
    deadLetter: (input, error) => sink.deadLetter(input, error),
    onClose: (session, reason) => {
      if (!sessions.delete(session)) return;
      gm.connections.dec({ service });
      if (isCountedClose(reason)) {
        gm.closed.inc({ service, reason });
        log.info({ remote: session.remote, imei: session.imei, reason }, 'closed device connection');
      }
    },
  };

  const tcp = createTcpServer({ pauseOnConnect: false }, (socket) => {
    sessions.add(new TcpSession(socket, host));
    gm.connections.inc({ service });
  });
  tcp.on('error', (err) => log.error({ err }, 'TCP listener error'));

  const udp = config.GATEWAY_UDP_ENABLED
    ? new UdpListener({
        port: config.GATEWAY_UDP_PORT,
        host: config.GATEWAY_HOST,
        rawTopic: config.RAW_TOPIC,
        maxInFlight: config.GATEWAY_UDP_MAX_IN_FLIGHT,
        allowImei: host.allowImei,
        forward: (input) => sink.forward(input),
        deadLetter: host.deadLetter,
        onDropped: (reason) => {
          if (reason === 'overload') gm.packets.inc({ service, result: 'rejected' });
          else if (reason === 'login_rejected') gm.closed.inc({ service, reason });
        },
      })
    : undefined;

  const http = createHttpServer(
    createHttpIngestHandler({
      rawTopic: config.RAW_TOPIC,
      maxBodyBytes: config.GATEWAY_MAX_BODY_BYTES,
      maxInFlight: config.GATEWAY_HTTP_MAX_IN_FLIGHT,
      logger: log,
      checkToken: createTokenCheck(config.GATEWAY_TOKENS),
      kafkaConnected: () => sink.producer.connected,
      produce: sink.produce,
      onStatus: (status) => gm.httpRequests.inc({ service, status: String(status) }),
    }),
  );
  http.requestTimeout = 30_000;
  http.headersTimeout = 10_000;

  return {
    ports,
    get sessions() {
      return sessions.size;
    },
    async start() {
      ports.tcp = await listen(tcp, config.GATEWAY_TCP_PORT, config.GATEWAY_HOST);
      ports.http = await listen(http, config.GATEWAY_HTTP_PORT, config.GATEWAY_HOST);
      if (udp) ports.udp = await udp.start();
    },
    async stop(deadline, drained) {
      const closed = Promise.all([closeServer(tcp), closeServer(http), udp ? udp.stop() : undefined]);
      http.closeIdleConnections();
      for (const s of [...sessions]) s.drain();
      const left = () => Math.max(0, deadline - Date.now() - 500);
      await Promise.race([Promise.all([closed, drained()]), new Promise((r) => setTimeout(r, left()))]);
      for (const s of [...sessions]) s.close('shutdown');
      http.closeAllConnections();
    },
  };
}
