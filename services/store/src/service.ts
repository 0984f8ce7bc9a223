import type cassandra from 'cassandra-driver';
import { AdaptiveConcurrency, createConsumerService, type AdaptiveConcurrencyOptions, DlqWriter, InvalidRecordError, type DeadLetter, type InboundRecord, type Service, type ServiceDeps, type ConsumerRunner } from '@fleetstream/stream';
import { DEFAULT_INITIAL_CONCURRENCY, type StoreConfig } from './config.ts';
import { cassandraConnection, createCassandraClient } from './cassandra-client.ts';
import { isOverloadError } from './overload.ts';
import { decodeStoredEvent, type StoredEvent } from './event.ts';
import { PositionWriter } from './position-writer.ts';
import { createStoreMetrics } from './store-metrics.ts';

/** How often readiness asks Cassandra `SELECT now()`. */
const CASSANDRA_CHECK_MS = 2_000;

/**
 * telemetry.enriched -> Cassandra. Each chunk: decode (invalid -> DLQ with its reason), write all
 * rows under the adaptive concurrency (overload -> lower, back off, retry), and only then let the
 * runtime commit the chunk's offsets. Ready = partitions assigned and Cassandra answering.
 */
export function createStoreService(deps: ServiceDeps<StoreConfig>, options: { client?: cassandra.Client } = {}): Service & { runner: ConsumerRunner } {
  const { config, metrics, logger, registry } = deps;
  const svc = metrics.service;
  const log = logger.child({ component: 'store' });
  const store = createStoreMetrics(registry);
  const client =
    options.client ??
    createCassandraClient(cassandraConnection(config));
  const concurrency = new AdaptiveConcurrency(storeConcurrencyOptions(config));
  concurrency.onChange = (limit) => metrics.sinkConcurrency.set({ service: svc }, limit);
  metrics.sinkConcurrency.set({ service: svc }, concurrency.limit);
  let lastOverloadLog = 0;
  const writer = new PositionWriter({
    sink: client,
    keyspace: config.CASSANDRA_KEYSPACE,
    concurrency,
    maxBatchRows: config.STORE_BATCH_MAX_ROWS,
    onWrite: (seconds, rows) => {
      store.writeLatency.observe({ service: svc }, seconds);
      if (rows > 0) store.rowsWritten.inc({ service: svc }, rows);
    },
    onOverload: (err) => {
      store.overloadErrors.inc({ service: svc });
      const now = Date.now();
      if (now - lastOverloadLog > 5_000) {
        lastOverloadLog = now;
        log.warn({ err, limit: concurrency.limit }, 'Cassandra overloaded or unreachable: lowering concurrency and retrying');
      }
    },
  });
  const producer = deps.kafka.producer();
  const dlq = new DlqWriter(producer, metrics, { topic: config.DLQ_TOPIC });

  let cassandraReady = false;
  let checkTimer: NodeJS.Timeout | undefined;
  const checkCassandra = async () => {
    try {
      await client.execute('SELECT now() FROM system.local', [], { prepare: false, readTimeout: 1_500 });
      if (!cassandraReady) log.info('Cassandra reachable');
      cassandraReady = true;
    } catch (err) {
      if (cassandraReady) log.warn({ err }, 'Cassandra not reachable');
      cassandraReady = false;
    }
  };
  deps.health.setReadiness('cassandra', () => cassandraReady);

  /**
   * Writes the chunk. Overloads are retried inside the writer; any other failure is looked at
   * event by event: an event Cassandra refuses for good (an invalid request, a value the driver
   * cannot encode) goes to the DLQ with its reason instead of holding the partition forever;
   * anything else (a transient error) fails the chunk, which the runtime retries.
   */
  async function writeOrRefuse(events: StoredEvent[], sources: InboundRecord[], signal: AbortSignal): Promise<void> {
    try {
      await writer.write(events, signal);
      return;
    } catch (err) {
      if (signal.aborted || events.length === 0) throw err;
      log.warn({ err, events: events.length }, 'chunk write failed; writing its events one by one');
    }
    const refused: DeadLetter[] = [];
    for (let i = 0; i < events.length; i += 1) {
      try {
        await writer.write([events[i]!], signal);
      } catch (err) {
        if (signal.aborted || !isRefusedForGood(err)) throw err;
        refused.push({ record: sources[i]!, error: new InvalidRecordError('CASSANDRA_REFUSED', `Cassandra refused the row: ${(err as Error).message}`, { cause: err }) });
      }
    }
    await dlq.send(refused);
  }

  return createConsumerService(deps, {
    topics: [config.INPUT_TOPIC],
    handler: async (records, ctx) => {
      const events: StoredEvent[] = [];
      const sources: InboundRecord[] = [];
      const dead: DeadLetter[] = [];
      for (const record of records) {
        try {
          events.push(decodeStoredEvent(record.value));
          sources.push(record);
        } catch (error) {
          dead.push({ record, error });
        }
      }
      await Promise.all([writeOrRefuse(events, sources, ctx.signal), dlq.send(dead)]);
      if (events.length > 0) {
        metrics.recordsOut.inc({ service: svc, topic: 'cassandra' }, events.length);
        const now = Date.now();
        for (const e of events) metrics.endToEndLatency.observe({ service: svc }, Math.max(0, now - e.receivedAt) / 1000);
      }
    },
    before: async () => {
      await client.connect();
      await checkCassandra();
      checkTimer = setInterval(() => void checkCassandra(), CASSANDRA_CHECK_MS);
      checkTimer.unref();
      await producer.connect();
    },
    after: async () => {
      clearInterval(checkTimer);
      await producer.disconnect();
      if (!options.client) await client.shutdown();
    },
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

/** Errors that no retry can fix: Cassandra's "invalid request" (0x2200) or a value the driver cannot encode. */
function isRefusedForGood(err: unknown): boolean {
  if (err instanceof AggregateError) return err.errors.length > 0 && err.errors.every(isRefusedForGood);
  if (isOverloadError(err)) return false;
  const e = err as { code?: unknown; name?: unknown };
  return e?.code === 0x2200 || e?.name === 'TypeError' || e?.name === 'RangeError' || e?.name === 'ArgumentError';
}
