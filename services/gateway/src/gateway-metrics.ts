import { Counter, Gauge, type Registry } from 'prom-client';

/** Why the gateway closed a device connection. */
export type CloseReason = 'garbage' | 'oversized' | 'idle' | 'login_rejected' | 'kafka_unavailable';

/** The gateway's own metrics (beside the runtime's fleetstream_* ones), each labelled `service`. */
export interface GatewayMetrics {
  connections: Gauge<'service'>;
  packets: Counter<'service' | 'result'>;
  closed: Counter<'service' | 'reason'>;
  httpRequests: Counter<'service' | 'status'>;
}

const CLOSE_REASONS: readonly CloseReason[] = ['garbage', 'oversized', 'idle', 'login_rejected', 'kafka_unavailable'];

/** True for the close reasons the gateway counts (and logs); the others are the peer's or shutdown's. */
export const isCountedClose = (reason: string): reason is CloseReason => (CLOSE_REASONS as readonly string[]).includes(reason);

/**
 * Registers the gateway metrics in the caller's registry; with `service`, every series starts at 0
 * so dashboards and alerts see the outcomes before the first one happens.
 */
export function createGatewayMetrics(registry: Registry, service?: string): GatewayMetrics {
  const m = gatewayMetrics(registry);
  if (service !== undefined) {
    m.connections.set({ service }, 0);
    for (const reason of CLOSE_REASONS) m.closed.inc({ service, reason }, 0);
    for (const result of ['acked', 'rejected', 'dlq']) m.packets.inc({ service, result }, 0);
  }
  return m;
}

function gatewayMetrics(registry: Registry): GatewayMetrics {
  const registers = [registry];
  return {
    connections: new Gauge({ name: 'fleetstream_gateway_connections', help: 'Open device TCP connections.', labelNames: ['service'], registers }),
    packets: new Counter({
      name: 'fleetstream_gateway_packets_total',
      help: 'Teltonika AVL packets by outcome: acked (durable in Kafka), rejected (Kafka unavailable, not acked), dlq (undecodable, not acked).',
      labelNames: ['service', 'result'],
      registers,
    }),
    closed: new Counter({ name: 'fleetstream_gateway_closed_connections_total', help: 'Device connections the gateway closed, by reason.', labelNames: ['service', 'reason'], registers }),
    httpRequests: new Counter({ name: 'fleetstream_gateway_http_requests_total', help: 'HTTP ingest requests by status code.', labelNames: ['service', 'status'], registers }),
  };
}
