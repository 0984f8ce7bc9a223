import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from 'node:net';
import { DlqWriter, type OutboundRecord, type Service, type ServiceDeps } from '@fleetstream/stream';
import type { AvlPacket } from '@fleetstream/telemetry';
import type { GatewayConfig } from './config.ts';
import { createGatewayMetrics, type GatewayMetrics } from './gateway-metrics.ts';
import { createHttpIngestHandler } from './http-ingest.ts';
import { RawProducer } from './raw-producer.ts';
import { toRawRecord, toSyntheticInbound, type RawInput } from './raw-record.ts';
import { TcpSession } from './tcp-session.ts';
import { createTokenCheck } from './token-auth.ts';
import { UdpListener } from './udp-listener.ts';

/** The running gateway: a Service plus the ports it actually listens on (0 in config = random). */
export interface GatewayService extends Service {
  readonly tcpPort: number;
  readonly httpPort: number;
  /** 0 when UDP is disabled. */
  readonly udpPort: number;
  readonly gatewayMetrics: GatewayMetrics;
  /** Open device sessions (tests). */
  readonly sessions: number;
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

/**
 * gateway: Teltonika TCP devices and HTTP JSON clients in, telemetry.raw out. A device packet is
 * acknowledged (and an HTTP request answered 202) only once Kafka acknowledged its record with
 * acks=all; undecodable packets go to the DLQ and are not acknowledged. No consumer: ready =
 * listening and the producer healthy.
 */
export function createGatewayService(deps: ServiceDeps<GatewayConfig>): GatewayService {
  const { config, logger, metrics, registry } = deps;
  const service = deps.name;
  const gm = createGatewayMetrics(registry);
  const log = logger.child({ component: 'gateway' });
  const producer = deps.kafka.producer({ timeoutMs: config.GATEWAY_PRODUCE_TIMEOUT_MS });
  const raw = new RawProducer({
    producer,
    admin: deps.kafka.admin(),
    logger: log,
    lingerMs: config.GATEWAY_LINGER_MS,
    maxBatchRecords: config.GATEWAY_MAX_BATCH_RECORDS,
    slowSendMs: config.GATEWAY_SLOW_SEND_MS,
    probeIntervalMs: config.GATEWAY_PROBE_INTERVAL_MS,
  });
  const dlq = new DlqWriter(producer, metrics, { topic: config.DLQ_TOPIC });
  const allow = new Set(config.GATEWAY_IMEI_ALLOW);
  const sessions = new Set<TcpSession>();
  let listening = false;
  let tcpPort = 0;
  let httpPort = 0;
  let udpPort = 0;
  const countOut = (records: OutboundRecord[]) => {
    for (const r of records) metrics.recordsOut.inc({ service, topic: r.topic });
  };

  const host = {
    maxPacketBytes: config.GATEWAY_MAX_PACKET_BYTES,
    idleTimeoutMs: config.GATEWAY_IDLE_TIMEOUT_MS,
    rawTopic: config.RAW_TOPIC,
    allowImei: (imei: string) => allow.size === 0 || allow.has(imei),
    forward: async (input: RawInput, _packet: AvlPacket | undefined) => {
      const record = toRawRecord(input);
      try {
        await raw.submit([record]);
      } catch (err) {
        gm.packets.inc({ service, result: 'rejected' });
        throw err;
      }
      countOut([record]);
      gm.packets.inc({ service, result: 'acked' });
    },
    deadLetter: async (input: RawInput, error: unknown) => {
      const letters = [{ record: toSyntheticInbound(input), error }];
      const records = dlq.records(letters);
      await raw.submit(records);
      dlq.count(letters);
      countOut(records);
      gm.packets.inc({ service, result: 'dlq' });
      log.warn({ imei: input.key, remote: input.remote, code: (error as { code?: string }).code }, 'bad packet sent to the DLQ, not acknowledged');
    },
    onClose: (session: TcpSession, reason: string) => {
      if (!sessions.delete(session)) return;
      gm.connections.dec({ service });
      if (reason === 'garbage' || reason === 'oversized' || reason === 'idle' || reason === 'login_rejected' || reason === 'kafka_unavailable') {
        gm.closed.inc({ service, reason });
        log.info({ remote: session.remote, imei: session.imei, reason }, 'closed device connection');
      }
    },
  };

  const udp = config.GATEWAY_UDP_ENABLED
    ? new UdpListener({
        port: config.GATEWAY_UDP_PORT,
        host: config.GATEWAY_HOST,
        rawTopic: config.RAW_TOPIC,
        maxInFlight: config.GATEWAY_UDP_MAX_IN_FLIGHT,
        allowImei: host.allowImei,
        forward: (input) => host.forward(input, undefined),
        deadLetter: host.deadLetter,
        onDropped: (reason) => {
          if (reason === 'overload') gm.packets.inc({ service, result: 'rejected' });
          else if (reason === 'login_rejected') gm.closed.inc({ service, reason });
        },
      })
    : undefined;

  const tcp = createTcpServer({ pauseOnConnect: false }, (socket) => {
    const session = new TcpSession(socket, host);
    sessions.add(session);
    gm.connections.inc({ service });
  });
  tcp.on('error', (err) => log.error({ err }, 'TCP listener error'));

  const http = createHttpServer(
    createHttpIngestHandler({
      rawTopic: config.RAW_TOPIC,
      maxBodyBytes: config.GATEWAY_MAX_BODY_BYTES,
      maxInFlight: config.GATEWAY_HTTP_MAX_IN_FLIGHT,
      logger: log,
      checkToken: createTokenCheck(config.GATEWAY_TOKENS),
      kafkaConnected: () => raw.connected,
      produce: async (records) => {
        await raw.submit(records);
        countOut(records);
      },
      onStatus: (status) => gm.httpRequests.inc({ service, status: String(status) }),
    }),
  );
  http.requestTimeout = 30_000;
  http.headersTimeout = 10_000;

  gm.connections.set({ service }, 0);
  for (const reason of ['garbage', 'oversized', 'idle', 'login_rejected', 'kafka_unavailable']) gm.closed.inc({ service, reason }, 0);
  for (const result of ['acked', 'rejected', 'dlq']) gm.packets.inc({ service, result }, 0);

  return {
    get tcpPort() {
      return tcpPort;
    },
    get httpPort() {
      return httpPort;
    },
    get udpPort() {
      return udpPort;
    },
    get sessions() {
      return sessions.size;
    },
    gatewayMetrics: gm,
    async start() {
      if (config.GATEWAY_TOKENS.length === 0) log.warn('GATEWAY_TOKENS is empty: every HTTP ingest request is refused (403)');
      deps.health.setReadiness('gateway', () => listening && raw.healthy());
      raw.start();
      tcpPort = await listen(tcp, config.GATEWAY_TCP_PORT, config.GATEWAY_HOST);
      httpPort = await listen(http, config.GATEWAY_HTTP_PORT, config.GATEWAY_HOST);
      if (udp) udpPort = await udp.start();
      listening = true;
      log.info({ tcpPort, httpPort, udpPort, topic: config.RAW_TOPIC }, 'gateway listening');
    },
    async stop(deadlineMs) {
      const deadline = Date.now() + deadlineMs;
      listening = false;
      // Stop accepting; let the packet in flight on each connection finish (and be acked), then close.
      const closedTcp = closeServer(tcp);
      const closedHttp = closeServer(http);
      const closedUdp = udp ? udp.stop() : Promise.resolve();
      http.closeIdleConnections();
      for (const s of [...sessions]) s.drain();
      const left = () => Math.max(0, deadline - Date.now() - 500);
      await Promise.race([Promise.all([closedTcp, closedHttp, closedUdp, raw.drained()]), new Promise((r) => setTimeout(r, left()))]);
      for (const s of [...sessions]) s.close('shutdown');
      http.closeAllConnections();
      await Promise.race([raw.stop(), new Promise((r) => setTimeout(r, Math.max(100, deadline - Date.now())))]);
      log.info('gateway stopped');
    },
  };
}
