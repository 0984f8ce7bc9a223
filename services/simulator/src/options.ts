import type { City } from './device-model.ts';
import type { SimulatorMetrics } from './metrics.ts';

export type SimulatorMode = 'steady' | 'burst' | 'backlog';

/** What a delivered (or deliberately "lost") packet looked like; for tests and checks. */
export interface DeliveryEvent {
  type: 'acked' | 'ack_dropped';
  protocol: 'tcp' | 'http';
  deviceId: string;
  /** The bytes sent: the TCP packet, or the HTTP body. */
  payload: Buffer;
  records: number;
}

export interface SimulatorOptions {
  devices: number;
  mode: SimulatorMode;
  /** Packets per second in total (steady, and the base of burst); 0 = each device as fast as acks come. */
  rate?: number;
  /** Seconds to run; 0 = until every device sent `packetsPerDevice`. */
  durationSec?: number;
  /** Stop a device after this many acknowledged packets (0 = no limit). */
  packetsPerDevice?: number;
  /** AVL records per packet (events per HTTP request). */
  recordsPerPacket?: number;
  /** Teltonika TCP gateway, host:port. */
  tcp?: string;
  /** HTTP ingest base URL (http://host:port). With tcp too, odd devices use HTTP. */
  http?: string;
  token?: string;
  seed?: number;
  /** First IMEI; device i is imeiBase + i (15 digits). */
  imeiBase?: number;
  /** Device clock at the start, ms (default: now, rounded to the second). */
  startTime?: number;
  /** Simulated seconds between two records of a device. */
  recordIntervalSec?: number;
  city?: City;
  ackTimeoutMs?: number;
  /** Probability that a device "loses" an ack it received: it reconnects and resends the same packet. */
  ackLossRate?: number;
  /** Tries per packet before it counts as failed. */
  maxAttempts?: number;
  /** burst mode: rate multiplier, burst length and period (s). */
  burstFactor?: number;
  burstSec?: number;
  burstPeriodSec?: number;
  /** backlog mode: events produced straight into the raw topic. */
  events?: number;
  brokers?: string[];
  topic?: string;
  /** Live line on stderr (default: when stderr is a TTY). */
  live?: boolean;
  onDelivery?: (event: DeliveryEvent) => void;
  /** Live counters of the run (createSimulatorMetrics), the summary's numbers as they happen. */
  metrics?: SimulatorMetrics;
}

/** The end-of-run account; `acked` packets are durable in Kafka (for backlog: produced). */
export interface Summary {
  mode: SimulatorMode;
  devices: number;
  seed: number;
  durationMs: number;
  /** Packets (TCP) and requests (HTTP) written, resends included. */
  sent: number;
  /** Packets / requests acknowledged (each counted once). */
  acked: number;
  /** AVL records (events) in the acknowledged packets. */
  records: number;
  /** Failed attempts (timeouts, closed connections, 5xx, rejections). */
  errors: number;
  /** Packets sent again after a lost ack or a failure. */
  resent: number;
  /** Acks the simulator threw away on purpose (each leaves one duplicate record). */
  lostAcks: number;
  /** Packets given up after maxAttempts or a non-retryable error. */
  failed: number;
  loginRejected: number;
  errorsByCode: Record<string, number>;
  /** Acked packets per second over the run. */
  ackRate: number;
}
