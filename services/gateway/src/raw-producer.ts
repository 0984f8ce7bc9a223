import type { Logger } from 'pino';
import type { OutboundRecord, StreamAdmin, StreamProducer } from '@fleetstream/stream';
import { GatewayError } from './errors.ts';

export interface RawProducerOptions {
  producer: StreamProducer;
  admin: StreamAdmin;
  logger: Logger;
  /** Wait this long for company before a send; 0 = next turn of the event loop. */
  lingerMs: number;
  /**
   * Least time between the starts of two sends (0 = none). A record arriving after a quiet
   * interval goes out on the next turn as before; under load the sends come at most once per
   * interval, each carrying what arrived meanwhile, so the produce requests (and their socket
   * writes, the gateway's largest cost per event, and the broker's per-request work) stop growing
   * with the event rate.
   */
  sendIntervalMs?: number;
  maxBatchRecords: number;
  /**
   * Produce requests in flight at once (default 3: the idempotent producer keeps up to 5 per
   * broker, and the load test showed records waiting a whole acks=all round trip behind a single
   * send slot). With more than one, records arriving while
   * every slot is busy still go out together, but a send no longer waits for the previous one's
   * acks=all round trip. A device's order is kept either way: it sends its next packet only after
   * this one's ack.
   */
  maxSendsInFlight?: number;
  /** A send in flight for longer marks the producer unhealthy. */
  slowSendMs: number;
  probeIntervalMs: number;
}

/** Produce requests in flight at once unless the options say otherwise. */
export const DEFAULT_SENDS_IN_FLIGHT = 3;

interface Pending {
  records: OutboundRecord[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * The one Kafka producer of the gateway, shared by every connection and request. Records submitted
 * while every send slot is busy (or within the linger) go out together in the next send, so thousands
 * of devices cost a few produce requests, not one each. `submit` resolves only once Kafka has
 * acknowledged (acks=all) and rejects with GATEWAY_KAFKA_UNAVAILABLE otherwise: the caller then does not
 * acknowledge its device.
 *
 * Health (for /readyz): connected, the last send did not fail, no send is stuck past `slowSendMs`,
 * and the periodic probe (list topics) answers. A failed send keeps the producer unhealthy until a
 * send succeeds or a probe that started after the failure succeeds.
 */
export class RawProducer {
  readonly #o: RawProducerOptions;
  #queue: Pending[] = [];
  #queuedRecords = 0;
  /** Start times of the sends in flight. */
  readonly #sending = new Set<{ at: number }>();
  #scheduled = false;
  /** When the last send started (performance.now()). */
  #lastSendAt = -Infinity;
  #connected = false;
  #stopped = false;
  #lastFailureAt = 0;
  #probeOk = false;
  #probing = false;
  #check: Promise<void> | undefined;
  #adminConnected = false;
  #probeTimer: NodeJS.Timeout | undefined;
  #idle: (() => void)[] = [];
  #connecting: Promise<void> | undefined;

  constructor(options: RawProducerOptions) {
    this.#o = options;
  }

  /** Starts connecting (in the background, retrying) and probing; never throws. */
  start(): void {
    this.#connecting = this.#connectLoop();
    this.#probeTimer = setInterval(() => void this.#probe(), this.#o.probeIntervalMs);
    this.#probeTimer.unref();
    void this.#probe();
  }

  /** Whether Kafka looks able to take records now. */
  healthy(): boolean {
    if (!this.#connected || this.#stopped) return false;
    for (const send of this.#sending) if (Date.now() - send.at > this.#o.slowSendMs) return false;
    return this.#probeOk && this.#lastFailureAt === 0;
  }

  get connected(): boolean {
    return this.#connected;
  }

  /** Produces the records (acks=all) together with whatever else is waiting; resolves once acknowledged. */
  submit(records: OutboundRecord[]): Promise<void> {
    if (this.#stopped) return Promise.reject(new GatewayError('GATEWAY_SHUTTING_DOWN', 'the gateway is stopping'));
    if (!this.#connected) return Promise.reject(new GatewayError('GATEWAY_KAFKA_UNAVAILABLE', 'not connected to Kafka'));
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ records, resolve, reject });
      this.#queuedRecords += records.length;
      this.#schedule();
    });
  }

  get #slotFree(): boolean {
    return this.#sending.size < (this.#o.maxSendsInFlight ?? DEFAULT_SENDS_IN_FLIGHT);
  }

  #schedule(): void {
    if (!this.#slotFree || this.#scheduled || this.#queue.length === 0) return;
    this.#scheduled = true;
    const run = () => {
      this.#scheduled = false;
      void this.#flush();
    };
    const paced = this.#queuedRecords >= this.#o.maxBatchRecords ? 0 : this.#lastSendAt + (this.#o.sendIntervalMs ?? 0) - performance.now();
    const wait = Math.max(this.#o.lingerMs, paced);
    if (wait >= 1) setTimeout(run, wait);
    else setImmediate(run);
  }

  async #flush(): Promise<void> {
    if (!this.#slotFree || this.#queue.length === 0) return;
    const batch: Pending[] = [];
    const records: OutboundRecord[] = [];
    while (this.#queue.length > 0 && (records.length === 0 || records.length + this.#queue[0]!.records.length <= this.#o.maxBatchRecords)) {
      const p = this.#queue.shift()!;
      batch.push(p);
      for (const r of p.records) records.push(r);
    }
    this.#queuedRecords -= records.length;
    const send = { at: Date.now() };
    this.#lastSendAt = performance.now();
    this.#sending.add(send);
    // Another slot free: whatever arrives next does not wait for this send.
    this.#schedule();
    try {
      await this.#o.producer.send(records);
      this.#lastFailureAt = 0;
      for (const p of batch) p.resolve();
    } catch (cause) {
      this.#lastFailureAt = Date.now();
      this.#o.logger.warn({ err: cause, records: records.length }, 'produce to the raw topic failed; nothing acknowledged');
      const err = new GatewayError('GATEWAY_KAFKA_UNAVAILABLE', 'Kafka did not acknowledge the records', { cause });
      for (const p of batch) p.reject(err);
    } finally {
      this.#sending.delete(send);
    }
    if (this.#queue.length > 0) this.#schedule();
    else if (this.#sending.size === 0) for (const done of this.#idle.splice(0)) done();
  }

  async #connectLoop(): Promise<void> {
    let attempt = 0;
    while (!this.#stopped) {
      try {
        await this.#o.producer.connect();
        if (this.#stopped) return;
        this.#connected = true;
        this.#o.logger.info('connected to Kafka');
        return;
      } catch (err) {
        attempt += 1;
        this.#o.logger.warn({ err, attempt }, 'cannot connect to Kafka yet; retrying');
        await new Promise((r) => setTimeout(r, Math.min(5_000, 250 * 2 ** Math.min(attempt, 5))).unref());
      }
    }
  }

  async #probe(): Promise<void> {
    if (this.#probing || this.#stopped) return;
    this.#probing = true;
    const startedAt = Date.now();
    let timer: NodeJS.Timeout | undefined;
    // One check at a time: a check stuck in admin.connect is awaited again by the next probe
    // instead of starting another connect behind it.
    this.#check ??= (async () => {
      if (!this.#adminConnected) {
        await this.#o.admin.connect();
        this.#adminConnected = true;
      }
      await this.#o.admin.listTopics();
    })().finally(() => {
      this.#check = undefined;
    });
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('probe timed out')), this.#o.probeIntervalMs);
      });
      await Promise.race([this.#check, timeout]);
      this.#probeOk = true;
      if (this.#lastFailureAt !== 0 && this.#lastFailureAt < startedAt) this.#lastFailureAt = 0;
    } catch {
      this.#probeOk = false;
    } finally {
      clearTimeout(timer);
      this.#probing = false;
    }
  }

  /** Resolves once nothing is queued or in flight. */
  drained(): Promise<void> {
    if (this.#sending.size === 0 && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Sends what is queued, then disconnects (within the caller's deadline). */
  async stop(): Promise<void> {
    await this.drained();
    this.#stopped = true;
    clearInterval(this.#probeTimer);
    await Promise.allSettled([this.#o.producer.disconnect(), this.#adminConnected ? this.#o.admin.disconnect() : Promise.resolve()]);
    await Promise.race([this.#connecting, new Promise((r) => setTimeout(r, 100))]);
  }

  /** Records waiting for the next send (for tests and logs). */
  get queued(): number {
    return this.#queuedRecords;
  }
}
