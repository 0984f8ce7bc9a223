import type cassandra from 'cassandra-driver';
import { cassandraSink, createStage, type AdaptiveConcurrencyOptions, type ConsumerRunner, type Service, type ServiceDeps } from '@fleetstream/stream';
import { DEFAULT_INITIAL_CONCURRENCY, type StoreConfig } from './config.ts';
import { cassandraConnection, createCassandraClient } from './cassandra-client.ts';
import { decodeStoredEvents } from './event.ts';
import { positionStatements, WrittenDays } from './position-writer.ts';
import { storeSinkHooks } from './store-metrics.ts';

/**
 * store: telemetry.enriched -> Cassandra | telemetry.dlq. Each chunk is decoded (invalid -> DLQ
 * with its reason) and its rows written by the Cassandra sink (prepared, adaptive concurrency,
 * overload back-off) before the runtime may commit its offsets. Ready = partitions assigned and
 * Cassandra answering.
 */
export function createStoreService(deps: ServiceDeps<StoreConfig>, options: { client?: cassandra.Client } = {}): Service & { runner: ConsumerRunner } {
  const { config } = deps;
  const days = new WrittenDays();
  const hooks = storeSinkHooks(deps);
  return createStage(deps, {
    input: { topics: [config.INPUT_TOPIC] },
    transform: decodeStoredEvents,
    sink: cassandraSink(deps, {
      client: options.client ?? createCassandraClient(cassandraConnection(config)),
      ownsClient: !options.client,
      statements: positionStatements(config.CASSANDRA_KEYSPACE, config.STORE_BATCH_MAX_ROWS, days),
      concurrency: storeConcurrencyOptions(config),
      span: { keyspace: config.CASSANDRA_KEYSPACE, table: 'positions_by_device_day' },
      ...hooks,
      onWritten: (events) => {
        days.written(events);
        hooks.onWritten?.(events);
      },
    }),
  });
}

/**
 * The write limiter's options from the config: [STORE_MIN_CONCURRENCY, STORE_MAX_CONCURRENCY],
 * starting at STORE_INITIAL_CONCURRENCY (default 8, clamped into the range) with slow start unless
 * STORE_SLOW_START=false. Starting low keeps a catch-up from opening at full blast; slow start
 * (doubling per window until the first overload) reaches the sink's concurrency in a few
 * round trips instead of one step per window.
 */
export function storeConcurrencyOptions(config: Pick<StoreConfig, 'STORE_MIN_CONCURRENCY' | 'STORE_MAX_CONCURRENCY' | 'STORE_INITIAL_CONCURRENCY' | 'STORE_SLOW_START'>): AdaptiveConcurrencyOptions {
  const min = config.STORE_MIN_CONCURRENCY;
  const max = config.STORE_MAX_CONCURRENCY;
  const initial = config.STORE_INITIAL_CONCURRENCY ?? Math.min(max, Math.max(min, DEFAULT_INITIAL_CONCURRENCY));
  return { min, max, initial, slowStart: config.STORE_SLOW_START };
}
