import type { Logger } from 'pino';
import type { BatchHandler } from './consumer-runner.ts';
import type { ConsumerOptions, KafkaClient, StreamAdmin, StreamConsumer } from './kafka/types.ts';
import type { StreamMetrics } from './metrics.ts';
import { observeEach } from './observe-each.ts';

/** What the monitored consumer needs from a service's dependencies. */
export interface LagMonitorDeps {
  kafka: KafkaClient;
  metrics: StreamMetrics;
  logger: Logger;
  config?: { LAG_INTERVAL_MS?: number };
}

/** Default period of the lag reading when the config does not set LAG_INTERVAL_MS. */
export const DEFAULT_LAG_INTERVAL_MS = 5_000;

/**
 * A consumer whose lag is read live: every `LAG_INTERVAL_MS` the broker's end offsets of the
 * partitions this member owns are compared with the furthest of (the group's committed offset,
 * the offset after the last record the runner finished), and `fleetstream_consumer_lag` is set per
 * partition. The gauge moves while nothing arrives (a stuck or held-back consumer shows its lag
 * growing), which a gauge set only when a chunk is handled cannot do.
 *
 * It also observes `fleetstream_record_wait_seconds{stage="fetch"}` for every record handed over
 * by the client (its Kafka timestamp to now) and times offset commits
 * (`fleetstream_stage_duration_seconds{stage="commit"}`).
 */
export function monitoredConsumer(deps: LagMonitorDeps, options: ConsumerOptions): StreamConsumer {
  const consumer = deps.kafka.consumer(options);
  const monitor = new LagMonitor({
    admin: deps.kafka.admin(),
    groupId: options.groupId,
    metrics: deps.metrics,
    logger: deps.logger,
    intervalMs: deps.config?.LAG_INTERVAL_MS ?? DEFAULT_LAG_INTERVAL_MS,
  });
  const { metrics } = deps;
  const fetchLabels = { service: metrics.service, stage: 'fetch' };
  consumer.onAssigned((assignment) => monitor.assign(assignment));
  consumer.onRebalancing(() => monitor.assign([]));
  return {
    onAssigned: (listener) => consumer.onAssigned(listener),
    onRebalancing: (listener) => consumer.onRebalancing(listener),
    onCrash: (listener) => consumer.onCrash(listener),
    connect: async () => {
      await consumer.connect();
      await monitor.start();
    },
    run: (handler) =>
      consumer.run((batch, control) => {
        const now = Date.now();
        const { records } = batch;
        observeEach(metrics.recordWait, fetchLabels, records.length, (i) => Math.max(0, now - records[i]!.timestamp) / 1000);
        return handler(batch, {
          ...control,
          resolveOffset: (offset) => {
            monitor.processed(batch.topic, batch.partition, offset);
            control.resolveOffset(offset);
          },
        });
      }),
    commit: async (offsets) => {
      const end = metrics.stageDuration.startTimer({ service: metrics.service, stage: 'commit' });
      try {
        await consumer.commit(offsets);
      } finally {
        end();
      }
    },
    disconnect: async () => {
      await monitor.stop();
      await consumer.disconnect();
    },
  };
}

/**
 * Wraps a batch handler to observe `fleetstream_record_wait_seconds{stage="handle"}`: how long each
 * record waited (from its Kafka timestamp) before its chunk was handed to the handler. The gap to
 * stage="fetch" is the time it queued inside the consumer (behind earlier chunks, the throttle or
 * the in-flight cap).
 */
export function timedHandler(handler: BatchHandler, metrics: StreamMetrics): BatchHandler {
  const labels = { service: metrics.service, stage: 'handle' };
  return (records, ctx) => {
    const now = Date.now();
    observeEach(metrics.recordWait, labels, records.length, (i) => Math.max(0, now - records[i]!.timestamp) / 1000);
    return handler(records, ctx);
  };
}

export interface LagMonitorOptions {
  admin: StreamAdmin;
  groupId: string;
  metrics: StreamMetrics;
  logger: Logger;
  intervalMs: number;
}

/** Reads the lag of the owned partitions on a timer (see monitoredConsumer). */
export class LagMonitor {
  readonly #o: LagMonitorOptions;
  /** topic -> owned partitions. */
  #owned = new Map<string, number[]>();
  /** "topic:partition" -> next offset to process, from the runner's resolved offsets. */
  readonly #processed = new Map<string, bigint>();
  /** Label sets this process has set, so partitions it no longer owns are removed. */
  readonly #reported = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #polling: Promise<void> | undefined;
  #connected = false;

  constructor(options: LagMonitorOptions) {
    this.#o = options;
  }

  /** Connects the admin client and starts the timer. */
  async start(): Promise<void> {
    await this.#o.admin.connect();
    this.#connected = true;
    this.#timer = setInterval(() => void this.poll(), this.#o.intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#polling;
    if (this.#connected) await this.#o.admin.disconnect().catch(() => undefined);
    this.#connected = false;
  }

  /** The partitions this member owns now (empty while a rebalance runs). */
  assign(assignment: { topic: string; partitions: number[] }[]): void {
    this.#owned = new Map(assignment.map((a) => [a.topic, [...a.partitions]]));
    this.#processed.clear();
  }

  /** The runner finished every record up to `offset` of the partition. */
  processed(topic: string, partition: number, offset: string): void {
    const key = `${topic}:${partition}`;
    const next = BigInt(offset) + 1n;
    if ((this.#processed.get(key) ?? -1n) < next) this.#processed.set(key, next);
  }

  /** One reading (the timer calls it; one at a time, a slow broker never piles readings up). */
  poll(): Promise<void> {
    this.#polling ??= this.#read().finally(() => (this.#polling = undefined));
    return this.#polling;
  }

  async #read(): Promise<void> {
    const { admin, groupId, metrics, logger } = this.#o;
    const seen = new Set<string>();
    try {
      for (const [topic, partitions] of this.#owned) {
        if (partitions.length === 0) continue;
        const [ends, committed] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchCommitted(groupId, topic)]);
        const committedBy = new Map(committed.map((c) => [c.partition, BigInt(c.offset)]));
        for (const p of ends) {
          if (!partitions.includes(p.partition)) continue;
          const key = `${topic}:${p.partition}`;
          const c = committedBy.get(p.partition) ?? -1n;
          const position = [c >= 0n ? c : BigInt(p.low), this.#processed.get(key) ?? -1n].reduce((a, b) => (a > b ? a : b));
          const lag = BigInt(p.high) - position;
          metrics.consumerLag.set({ service: metrics.service, topic, partition: String(p.partition) }, Number(lag > 0n ? lag : 0n));
          seen.add(key);
        }
      }
    } catch (err) {
      logger.warn({ err, groupId }, 'consumer lag reading failed; trying again at the next interval');
      return;
    }
    for (const key of this.#reported) {
      if (seen.has(key)) continue;
      const i = key.lastIndexOf(':');
      metrics.consumerLag.remove({ service: metrics.service, topic: key.slice(0, i), partition: key.slice(i + 1) });
    }
    this.#reported.clear();
    for (const key of seen) this.#reported.add(key);
  }
}
