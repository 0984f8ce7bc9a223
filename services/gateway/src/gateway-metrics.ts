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

/** Registers the gateway metrics in the caller's registry. */
export function createGatewayMetrics(registry: Registry): GatewayMetrics {
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
