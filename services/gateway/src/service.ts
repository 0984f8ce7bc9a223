import type { Service, ServiceDeps } from '@fleetstream/stream';
import type { GatewayConfig } from './config.ts';
import { createGatewayMetrics, type GatewayMetrics } from './gateway-metrics.ts';
import { createListeners } from './listeners.ts';
import { createRawSink } from './raw-sink.ts';

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

/**
 * gateway: devices (Teltonika TCP and UDP, HTTP JSON) -> telemetry.raw | telemetry.dlq. A device
 * packet is acknowledged (an HTTP request answered 202) only once Kafka acknowledged its record
 * with acks=all; undecodable packets go to the DLQ and are not acknowledged. No consumer: ready =
 * listening and the producer healthy.
 */
export function createGatewayService(deps: ServiceDeps<GatewayConfig>): GatewayService {
  const { config } = deps;
  const log = deps.logger.child({ component: 'gateway' });
  const metrics = createGatewayMetrics(deps.registry, deps.name);
  const raw = createRawSink(deps, metrics);
  const devices = createListeners(deps, metrics, raw);
  let listening = false;
  return {
    get tcpPort() { return devices.ports.tcp; }, // prettier-ignore
    get httpPort() { return devices.ports.http; }, // prettier-ignore
    get udpPort() { return devices.ports.udp; }, // prettier-ignore
    get sessions() { return devices.sessions; }, // prettier-ignore
    gatewayMetrics: metrics,
    async start() {
      if (config.GATEWAY_TOKENS.length === 0) log.warn('GATEWAY_TOKENS is empty: every HTTP ingest request is refused (403)');
      deps.health.setReadiness('gateway', () => listening && raw.producer.healthy());
      raw.producer.start();
      await devices.start();
      listening = true;
      const { tcp: tcpPort, http: httpPort, udp: udpPort } = devices.ports;
      log.info({ tcpPort, httpPort, udpPort, topic: config.RAW_TOPIC }, 'gateway listening');
    },
    async stop(deadlineMs) {
      const deadline = Date.now() + deadlineMs;
      listening = false;
      await devices.stop(deadline, () => raw.producer.drained());
      await Promise.race([raw.producer.stop(), new Promise((r) => setTimeout(r, Math.max(100, deadline - Date.now())))]);
      log.info('gateway stopped');
    },
  };
}
