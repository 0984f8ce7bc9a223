import { encodeTcpPacket } from '@fleetstream/telemetry';
import { produceBacklog } from './backlog.ts';
import { DeviceModel } from './device-model.ts';
import { SimulatorError } from './errors.ts';
import { postTelemetry } from './http-link.ts';
import { ingestBody } from './ingest-body.ts';
import { initSimulatorMetrics, SIMULATOR_SERVICE_LABEL as service, type SimulatorProtocol } from './metrics.ts';
import type { SimulatorOptions, Summary } from './options.ts';
import { createRng, type Rng } from './rng.ts';
import { formatLive } from './summary.ts';
import { TcpLink } from './tcp-link.ts';
import { TimerWheel } from './timer-wheel.ts';

export interface Simulator {
  /** Runs until the duration ends, every device sent its packets, or stop(); resolves the summary. */
  run(): Promise<Summary>;
  /** Ends the run: devices finish the packet in hand (waiting for its ack) and stop. */
  stop(): void;
}

interface Counters {
  sent: number;
  acked: number;
  records: number;
  errors: number;
  resent: number;
  lostAcks: number;
  failed: number;
  loginRejected: number;
  errorsByCode: Record<string, number>;
}

function parseHostPort(text: string): { host: string; port: number } {
  const i = text.lastIndexOf(':');
  const port = Number(text.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) throw new SimulatorError('SIMULATOR_BAD_OPTIONS', `--tcp must be host:port, got "${text}"`);
  return { host: text.slice(0, i), port };
}


/** Granularity of the fleet's schedule: a packet goes out at most this much after its planned time. */
export const SCHEDULE_TICK_MS = 5;

/** How long a device waits for an ack (or login answer) before it reconnects and resends. */
export const DEFAULT_ACK_TIMEOUT_MS = 10_000;

/**
 * A fleet of simulated devices. Each device drives a trip model and sends its packets one at a
 * time, waiting for the ack; a lost ack, a timeout or a closed connection makes it reconnect and
 * resend the same packet (at-least-once, as real devices do). Deterministic for a given seed and
 * startTime.
 *
 * @example
 * const summary = await createSimulator({ devices: 50, rate: 20, durationSec: 30, mode: 'steady', tcp: '127.0.0.1:5027' }).run();
 */
export function createSimulator(options: SimulatorOptions): Simulator {
  const o = {
    rate: 0,
    durationSec: 0,
    packetsPerDevice: 0,
    recordsPerPacket: 1,
    seed: 1,
    imeiBase: 356_307_040_000_000,
    startTime: Math.floor(Date.now() / 1000) * 1000,
    recordIntervalSec: 10,
    ackTimeoutMs: DEFAULT_ACK_TIMEOUT_MS,
    ackLossRate: 0,
    maxAttempts: 20,
    burstFactor: 10,
    burstSec: 2,
    burstPeriodSec: 10,
    events: 0,
    topic: 'telemetry.raw',
    brokers: ['127.0.0.1:19092'],
    live: process.stderr.isTTY === true,
    ...options,
  };
  if (!Number.isInteger(o.devices) || o.devices < 1) throw new SimulatorError('SIMULATOR_BAD_OPTIONS', 'devices must be an integer >= 1');
  if (o.mode !== 'backlog' && !o.tcp && !o.http) throw new SimulatorError('SIMULATOR_BAD_OPTIONS', 'give --tcp host:port and/or --http URL');
  if (o.mode !== 'backlog' && o.durationSec <= 0 && o.packetsPerDevice <= 0) throw new SimulatorError('SIMULATOR_BAD_OPTIONS', 'give a duration or packets per device');
  if (o.recordsPerPacket < 1 || o.recordsPerPacket > 255) throw new SimulatorError('SIMULATOR_BAD_OPTIONS', 'records per packet must be 1..255');
  const tcp = o.tcp ? parseHostPort(o.tcp) : undefined;
  const models = Array.from(
    { length: o.devices },
    (_, i) => new DeviceModel({ deviceId: String(o.imeiBase + i), index: i, seed: o.seed, startTime: o.startTime, city: o.city, recordIntervalSec: o.recordIntervalSec }),
  );
  const c: Counters = { sent: 0, acked: 0, records: 0, errors: 0, resent: 0, lostAcks: 0, failed: 0, loginRejected: 0, errorsByCode: {} };
  let stopped = false;
  const isStopped = () => stopped;
  /** Sleepers woken early by stop(). */
  const sleepers = new Set<() => void>();
  // One timer wheel for the whole fleet: every device's schedule and every ack deadline wait on it
  // (a tick of 5 ms), instead of a Node timer created and cleared per packet and per read.
  const wheel = new TimerWheel(SCHEDULE_TICK_MS);
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (ms <= 0 || stopped) return resolve();
      const done = () => {
        wheel.cancel(entry);
        sleepers.delete(done);
        resolve();
      };
      const entry = wheel.at(Date.now() + ms, done);
      sleepers.add(done);
    });
  const m = o.metrics;
  if (m) initSimulatorMetrics(m, o.mode === 'backlog' ? ['kafka'] : [...(tcp ? ['tcp' as const] : []), ...(o.http ? ['http' as const] : [])], o.devices);
  // Each count goes to the summary and, when given, to the live metrics: the two never disagree.
  const count = {
    sent: (protocol: SimulatorProtocol, n = 1) => {
      c.sent += n;
      m?.sent.inc({ service, protocol }, n);
    },
    acked: (protocol: SimulatorProtocol, records: number, n = 1) => {
      c.acked += n;
      c.records += records;
      m?.acked.inc({ service, protocol }, n);
      m?.records.inc({ service, protocol }, records);
    },
    resent: () => {
      c.resent += 1;
      m?.resent.inc({ service });
    },
    lostAck: () => {
      c.lostAcks += 1;
      m?.lostAcks.inc({ service });
    },
    failed: () => {
      c.failed += 1;
      m?.failed.inc({ service });
    },
    error: (err: unknown) => {
      c.errors += 1;
      const code = err instanceof SimulatorError ? err.code : 'UNKNOWN';
      c.errorsByCode[code] = (c.errorsByCode[code] ?? 0) + 1;
      m?.errors.inc({ service, code });
    },
  };

  /** Milliseconds between two packets of one device at time `t` since start. */
  const intervalAt = (t: number) => {
    if (o.rate <= 0) return 0;
    const inBurst = o.mode === 'burst' && t % (o.burstPeriodSec * 1000) < o.burstSec * 1000;
    return (o.devices / (o.rate * (inBurst ? o.burstFactor : 1))) * 1000;
  };

  /** A failed packet is tried again until maxAttempts, a stop(), or the end of a timed run. */
  const mayRetry = (attempt: number, endAt: number) => attempt === 1 || (!stopped && Date.now() < endAt);

  async function deliverTcp(link: TcpLink, model: DeviceModel, rng: Rng, packet: Buffer, records: number, endAt: number): Promise<boolean> {
    for (let attempt = 1; attempt <= o.maxAttempts && mayRetry(attempt, endAt); attempt++) {
      if (attempt > 1) count.resent();
      try {
        if (!link.connected) await link.open(o.ackTimeoutMs);
        count.sent('tcp');
        const acked = await link.send(packet, o.ackTimeoutMs);
        if (acked !== records) throw new SimulatorError('SIMULATOR_BAD_ACK', `acked ${acked} of ${records} records`);
        if (o.ackLossRate > 0 && rng() < o.ackLossRate) {
          // The ack "got lost": the device cannot know the packet is stored, so it resends it.
          count.lostAck();
          o.onDelivery?.({ type: 'ack_dropped', protocol: 'tcp', deviceId: model.deviceId, payload: packet, records });
          link.close();
          continue;
        }
        count.acked('tcp', records);
        o.onDelivery?.({ type: 'acked', protocol: 'tcp', deviceId: model.deviceId, payload: packet, records });
        return true;
      } catch (err) {
        count.error(err);
        link.close();
        if (err instanceof SimulatorError && err.code === 'SIMULATOR_LOGIN_REJECTED') {
          c.loginRejected += 1;
          count.failed();
          return false;
        }
        await sleep(Math.min(2_000, 50 * 2 ** attempt) * (0.5 + rng()));
      }
    }
    count.failed();
    return true;
  }

  async function deliverHttp(model: DeviceModel, rng: Rng, body: Buffer, records: number, endAt: number): Promise<boolean> {
    for (let attempt = 1; attempt <= o.maxAttempts && mayRetry(attempt, endAt); attempt++) {
      if (attempt > 1) count.resent();
      try {
        count.sent('http');
        await postTelemetry(o.http!, o.token, body, o.ackTimeoutMs, wheel);
        count.acked('http', records);
        o.onDelivery?.({ type: 'acked', protocol: 'http', deviceId: model.deviceId, payload: body, records });
        return true;
      } catch (err) {
        count.error(err);
        if (err instanceof SimulatorError && !err.retryable) {
          count.failed();
          return err.code !== 'SIMULATOR_HTTP_REJECTED' || !/HTTP 40[13]/.test(err.message);
        }
        await sleep(Math.min(2_000, 50 * 2 ** attempt) * (0.5 + rng()));
      }
    }
    count.failed();
    return true;
  }

  async function runDevice(i: number, startedAt: number, endAt: number): Promise<void> {
    const model = models[i]!;
    const rng = createRng((o.seed ^ (i * 2_654_435_761)) >>> 0);
    const useHttp = o.http !== undefined && (tcp === undefined || i % 2 === 1);
    const link = tcp ? new TcpLink(tcp.host, tcp.port, model.deviceId, wheel) : undefined;
    let next = startedAt + intervalAt(0) * (i / o.devices);
    try {
      for (let k = 0; !stopped && (o.packetsPerDevice <= 0 || k < o.packetsPerDevice); k++) {
        await sleep(Math.min(next, endAt) - Date.now());
        if (stopped || Date.now() >= endAt) break;
        const records = model.nextRecords(o.recordsPerPacket);
        const goOn = useHttp
          ? await deliverHttp(model, rng, ingestBody(model.deviceId, records), records.length, endAt)
          : await deliverTcp(link!, model, rng, encodeTcpPacket({ codecId: model.codecId, records }), records.length, endAt);
        if (!goOn) break;
        next = Math.max(next + intervalAt(next - startedAt), Date.now() - 1_000);
      }
    } finally {
      link?.close();
    }
  }

  return {
    stop() {
      stopped = true;
      for (const wake of [...sleepers]) wake();
    },
    async run() {
      const startedAt = Date.now();
      const endAt = o.durationSec > 0 ? startedAt + o.durationSec * 1000 : Number.POSITIVE_INFINITY;
      const live = o.live
        ? setInterval(() => process.stderr.write(`\r${formatLive(c, Date.now() - startedAt)}\x1b[K`), 1_000)
        : undefined;
      try {
        if (o.mode === 'backlog') {
          // Each progress report is the running total of records produced and acknowledged (acks=all).
          const onProgress = (n: number) => {
            const delta = n - c.acked;
            count.sent('kafka', delta);
            count.acked('kafka', delta, delta);
          };
          onProgress(await produceBacklog({ brokers: o.brokers, topic: o.topic, events: o.events, models, stopped: isStopped, onProgress }));
        } else {
          await Promise.all(models.map((_, i) => runDevice(i, startedAt, endAt)));
        }
      } finally {
        if (live) {
          clearInterval(live);
          process.stderr.write('\r\x1b[K');
        }
      }
      const durationMs = Date.now() - startedAt;
      return {
        mode: o.mode,
        devices: o.devices,
        seed: o.seed,
        durationMs,
        ...c,
        ackRate: durationMs > 0 ? Math.round((c.acked / durationMs) * 1000 * 10) / 10 : 0,
      };
    },
  };
}
