import type { ConsumerConfig } from './config.ts';
import { ConsumerRunner, type BatchHandler, type ConsumerRunnerOptions } from './consumer-runner.ts';
import { monitoredConsumer, timedHandler } from './lag-monitor.ts';
import type { Service, ServiceDeps } from './service-host.ts';

export interface ConsumerServiceOptions {
  topics: string[];
  handler: BatchHandler;
  /** Defaults to `fleetstream-<service>` (or CONSUMER_GROUP). */
  groupId?: string;
  /** Extra start/stop for the service's own resources (producer, sink), around the consumer. */
  before?: () => Promise<void>;
  after?: () => Promise<void>;
  fromBeginning?: boolean;
  /** false when the handler commits offsets in a Kafka transaction. */
  commitOffsets?: boolean;
  /** Where records that failed for good go (see ConsumerRunnerOptions.deadLetter). */
  deadLetter?: ConsumerRunnerOptions['deadLetter'];
}

/** The consumer group of a service: the one given, else CONSUMER_GROUP, else `fleetstream-<service>`. */
export function consumerGroup(deps: Pick<ServiceDeps<ConsumerConfig>, 'config' | 'name'>, given?: string): string {
  return given ?? deps.config.CONSUMER_GROUP ?? `fleetstream-${deps.name}`;
}

/**
 * A consuming service from the runtime's parts: the throttled, checkpointing consumer built from
 * the consumer config, readiness = partitions assigned, stop = drain, commit, disconnect, then
 * `after` (close producers and sinks). A fatal failure of the handler (errors.ts `isFatal`) stops
 * the service through `deps.fail`.
 */
export function createConsumerService(deps: ServiceDeps<ConsumerConfig>, options: ConsumerServiceOptions): Service & { runner: ConsumerRunner } {
  const { config, metrics, logger, health } = deps;
  const groupId = consumerGroup(deps, options.groupId);
  const consumer = monitoredConsumer(deps, {
    groupId,
    topics: options.topics,
    fromBeginning: options.fromBeginning ?? true,
    partitionsConsumedConcurrently: config.PARTITIONS_CONCURRENCY,
    maxWaitMs: config.FETCH_MAX_WAIT_MS,
    minBytes: config.FETCH_MIN_BYTES,
  });
  const runner = new ConsumerRunner({
    consumer,
    handler: timedHandler(options.handler, metrics),
    metrics,
    logger,
    commitIntervalMs: config.COMMIT_INTERVAL_MS,
    commitOffsets: options.commitOffsets,
    deadLetter: options.deadLetter,
    onFatal: deps.fail,
    throttle: {
      maxRecordsPerBatch: config.MAX_RECORDS_PER_BATCH,
      minFetchIntervalMs: config.MIN_FETCH_INTERVAL_MS,
      recordsPerSec: config.MAX_RECORDS_PER_SEC,
      bytesPerSec: config.MAX_BYTES_PER_SEC,
      maxInFlight: config.MAX_IN_FLIGHT,
    },
  });
  health.setReadiness('partitions-assigned', () => runner.ready);
  return {
    runner,
    start: async () => {
      await options.before?.();
      await runner.start();
    },
    stop: async (deadlineMs) => {
      const t0 = Date.now();
      await runner.stop(deadlineMs);
      await options.after?.();
      logger.info({ groupId, ms: Date.now() - t0 }, 'consumer stopped');
    },
  };
}
