import { Counter, Gauge, Histogram, collectDefaultMetrics, type Registry } from 'prom-client';

/**
 * The fleetstream_* metrics every service exports (docs/architecture.md, "Metrics"). They live in the
 * registry the caller passes in; `service` is a label on each so one Prometheus job can hold all.
 */
export interface StreamMetrics {
  registry: Registry;
  service: string;
  recordsIn: Counter<'service' | 'topic'>;
  recordsOut: Counter<'service' | 'topic'>;
  dlq: Counter<'service' | 'reason'>;
  consumerLag: Gauge<'service' | 'topic' | 'partition'>;
  inflight: Gauge<'service' | 'stage'>;
  stageDuration: Histogram<'service' | 'stage'>;
  asyncTimeouts: Counter<'service'>;
  asyncRetries: Counter<'service'>;
  throttleWait: Counter<'service'>;
  sinkConcurrency: Gauge<'service'>;
  endToEndLatency: Histogram<'service'>;
  committedOffset: Gauge<'service' | 'topic' | 'partition'>;
  recordWait: Histogram<'service' | 'stage'>;
}

const cache = new WeakMap<Registry, StreamMetrics>();

/** Registers (once per registry) and returns the core metrics, with process metrics. */
export function createStreamMetrics(registry: Registry, service: string, options: { processMetrics?: boolean } = {}): StreamMetrics {
  const existing = cache.get(registry);
  if (existing) return existing;
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const m: StreamMetrics = {
    registry,
    service,
    recordsIn: new Counter({ name: 'fleetstream_records_in_total', help: 'Records taken in, by source topic.', labelNames: ['service', 'topic'], registers }),
    recordsOut: new Counter({ name: 'fleetstream_records_out_total', help: 'Records emitted, by destination topic (or sink).', labelNames: ['service', 'topic'], registers }),
    dlq: new Counter({ name: 'fleetstream_dlq_total', help: 'Records sent to the dead-letter topic, by reason.', labelNames: ['service', 'reason'], registers }),
    consumerLag: new Gauge({ name: 'fleetstream_consumer_lag', help: 'High watermark minus the next offset to process.', labelNames: ['service', 'topic', 'partition'], registers }),
    inflight: new Gauge({ name: 'fleetstream_inflight', help: 'Records or calls in flight, by stage.', labelNames: ['service', 'stage'], registers }),
    stageDuration: new Histogram({
      name: 'fleetstream_stage_duration_seconds',
      help: 'Time a batch or call spends in a stage.',
      labelNames: ['service', 'stage'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    asyncTimeouts: new Counter({ name: 'fleetstream_async_timeouts_total', help: 'Async operator calls that hit their deadline.', labelNames: ['service'], registers }),
    asyncRetries: new Counter({ name: 'fleetstream_async_retries_total', help: 'Async operator retries.', labelNames: ['service'], registers }),
    throttleWait: new Counter({ name: 'fleetstream_throttle_wait_seconds_total', help: 'Time the consumer waited on its throttle or in-flight cap.', labelNames: ['service'], registers }),
    sinkConcurrency: new Gauge({ name: 'fleetstream_sink_concurrency', help: 'Current adaptive concurrency limit of the sink.', labelNames: ['service'], registers }),
    endToEndLatency: new Histogram({
      name: 'fleetstream_end_to_end_latency_seconds',
      help: 'From receivedAt at the gateway to stored (or emitted by this service).',
      labelNames: ['service'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    }),
    committedOffset: new Gauge({ name: 'fleetstream_committed_offset', help: 'Last committed offset per partition.', labelNames: ['service', 'topic', 'partition'], registers }),
    recordWait: new Histogram({
      name: 'fleetstream_record_wait_seconds',
      help: 'Time since a record was produced (its Kafka timestamp): when the client handed it over (stage=fetch), when its chunk reached the handler (stage=handle).',
      labelNames: ['service', 'stage'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
  };
  cache.set(registry, m);
  return m;
}
