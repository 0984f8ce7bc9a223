import { Counter, Gauge, collectDefaultMetrics, type Registry } from 'prom-client';

/** How a packet travelled: Teltonika TCP, HTTP JSON ingest, or (backlog mode) straight into Kafka. */
export type SimulatorProtocol = 'tcp' | 'http' | 'kafka';

/**
 * The simulator's own metrics (README, "Metrics"): the same account as its summary, live. Every
 * series carries `service="simulator"`, like the services' metrics, so one Prometheus job holds all.
 */
export interface SimulatorMetrics {
  sent: Counter<'service' | 'protocol'>;
  acked: Counter<'service' | 'protocol'>;
  records: Counter<'service' | 'protocol'>;
  errors: Counter<'service' | 'code'>;
  resent: Counter<'service'>;
  lostAcks: Counter<'service'>;
  failed: Counter<'service'>;
  devices: Gauge<'service'>;
}

const service = 'simulator';

/**
 * Registers the simulator's metrics (and prom-client's process metrics) in the caller's registry.
 *
 * @example
 * const registry = new Registry();
 * const sim = createSimulator({ ...options, metrics: createSimulatorMetrics(registry) });
 */
export function createSimulatorMetrics(registry: Registry, options: { processMetrics?: boolean } = {}): SimulatorMetrics {
  const registers = [registry];
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry });
  return {
    sent: new Counter({ name: 'fleetstream_simulator_sent_total', help: 'Packets (TCP) and requests (HTTP) written, resends included; backlog: records produced.', labelNames: ['service', 'protocol'], registers }),
    acked: new Counter({ name: 'fleetstream_simulator_acked_total', help: 'Packets and requests acknowledged by the gateway (each once); backlog: records acknowledged by Kafka.', labelNames: ['service', 'protocol'], registers }),
    records: new Counter({ name: 'fleetstream_simulator_records_total', help: 'AVL records (events) in the acknowledged packets.', labelNames: ['service', 'protocol'], registers }),
    errors: new Counter({ name: 'fleetstream_simulator_errors_total', help: 'Failed attempts (timeouts, closed connections, 5xx, rejections), by error code.', labelNames: ['service', 'code'], registers }),
    resent: new Counter({ name: 'fleetstream_simulator_resent_total', help: 'Packets sent again after a lost ack or a failure.', labelNames: ['service'], registers }),
    lostAcks: new Counter({ name: 'fleetstream_simulator_lost_acks_total', help: 'Acks dropped on purpose (--ack-loss); each leaves one duplicate record.', labelNames: ['service'], registers }),
    failed: new Counter({ name: 'fleetstream_simulator_failed_total', help: 'Packets given up after the last attempt or a non-retryable error.', labelNames: ['service'], registers }),
    devices: new Gauge({ name: 'fleetstream_simulator_devices', help: 'Simulated devices in the running fleet.', labelNames: ['service'], registers }),
  };
}

/** Zero series for what a run will report, so rate() sees them from the first scrape. */
export function initSimulatorMetrics(m: SimulatorMetrics, protocols: SimulatorProtocol[], devices: number): void {
  for (const protocol of protocols) {
    m.sent.inc({ service, protocol }, 0);
    m.acked.inc({ service, protocol }, 0);
    m.records.inc({ service, protocol }, 0);
  }
  m.resent.inc({ service }, 0);
  m.lostAcks.inc({ service }, 0);
  m.failed.inc({ service }, 0);
  m.devices.set({ service }, devices);
}

/** The label value every simulator series carries. */
export const SIMULATOR_SERVICE_LABEL = service;
