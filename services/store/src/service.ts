import type cassandra from 'cassandra-driver';
import { AdaptiveConcurrency, createConsumerService, DlqWriter, type DeadLetter, type Service, type ServiceDeps, type ConsumerRunner } from '@fleetstream/stream';
import type { StoreConfig } from './config.ts';
import { createCassandraClient } from './cassandra-client.ts';
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
    createCassandraClient({
      contactPoints: config.CASSANDRA_CONTACT_POINTS,
      localDataCenter: config.CASSANDRA_LOCAL_DC,
      username: config.CASSANDRA_USERNAME,
      password: config.CASSANDRA_PASSWORD,
    });
  const concurrency = new AdaptiveConcurrency({ min: 1, max: config.STORE_MAX_CONCURRENCY });
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

  return createConsumerService(deps, {
    topics: [config.INPUT_TOPIC],
    handler: async (records, ctx) => {
      const events: StoredEvent[] = [];
      const dead: DeadLetter[] = [];
      for (const record of records) {
        try {
          events.push(decodeStoredEvent(record.value));
        } catch (error) {
          dead.push({ record, error });
        }
      }
      await Promise.all([writer.write(events, ctx.signal), dlq.send(dead)]);
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
