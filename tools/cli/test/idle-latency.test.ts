// @servers kafka cassandra
/**
 * Latency at low load (issue #18): a record that enters an idle pipeline is stored within a bound
 * made of the waits configured on its path, not of luck. gateway, parse, enrich and store run as
 * processes (with the asset API stub) with every wait on the path set explicitly; the pipeline is
 * left idle, then one Teltonika TCP packet of one record is sent, five times, one at a time.
 *
 * The latency is read from the record's own timestamps, never from the test's clock: the row's
 * `received_at` (the gateway's clock when the packet arrived) and `WRITETIME(lat)` (the store's
 * clock when it wrote the row; the driver's client-side timestamp), both on this machine. The
 * store's exported `fleetstream_end_to_end_latency_seconds` must agree.
 *
 * Three configurations show that the configured waits are what sets idle latency:
 * - baseline: every record is stored within {@link idleBound} of its waits;
 * - a long fetch wait (FETCH_MAX_WAIT_MS x 16): the records are still stored within the baseline's
 *   bound. A fetch asks for 1 byte, so the broker answers a waiting fetch as soon as a record
 *   arrives: the fetch wait bounds an idle record's wait, it is not a delay the record pays. A fetch
 *   that waited out FETCH_MAX_WAIT_MS on an idle topic (minBytes > 1, a sleep between empty
 *   fetches) would take seconds per hop here and fail;
 * - a gateway linger (GATEWAY_LINGER_MS): a wait that does apply to a lone record; every record's
 *   latency is at least the linger and within the bound that counts it.
 */
import cassandra from 'cassandra-driver';
import { createAssetApiStub, type AssetApiStub } from '@fleetstream/asset-api-stub';
import { freePort } from '@fleetstream/devstack';
import { createSimulator } from '@fleetstream/simulator';
import { scrapeMetric, startServiceProcess, suffix, waitFor, type ServiceProcess } from '@fleetstream/test-kit';
import { applyTopology, contactPoints, pipelineTopics, repo } from './helpers/pipeline.ts';

const id = suffix();
const prefix = `idle-${id}-`;
const keyspace = `idle_${id}`;
const topics = pipelineTopics(prefix);
const E2E = 'fleetstream_end_to_end_latency_seconds';

/** Records sent per configuration, one at a time. */
const RECORDS = 5;
/** Idle time before each record: longer than the baseline's fetch wait, so every consumer's fetch has come back empty at least once. */
const IDLE_GAP_MS = 1_000;
/**
 * What the record's work takes besides the configured waits, on a shared 2-core machine: three
 * acks=all produces (gateway, parse, enrich), three fetch responses, the parse and enrich
 * transforms, the asset API stub's answer (0 ms latency), store's Cassandra write, and the
 * scheduling delays of five processes on a machine that other test runs load. Measured idle
 * latencies are tens of milliseconds; this allowance is deliberately wide so that the bound is
 * decided by the waits, not by the machine.
 */
const PROCESSING_ALLOWANCE_MS = 2_000;

/** Every configured wait on a record's path from the gateway to its row (see docs/architecture.md, "Latency at low load"). */
interface Waits {
  /** gateway GATEWAY_LINGER_MS: a record waits this long for company before its produce. */
  lingerMs: number;
  /** parse, enrich, store FETCH_MAX_WAIT_MS: the longest a fetch is held by the broker without records. */
  fetchMaxWaitMs: number;
  /** parse, enrich, store MIN_FETCH_INTERVAL_MS: the least time between two chunks of a consumer. */
  minFetchIntervalMs: number;
  /** enrich ENRICH_TIMEOUT_MS: the async operator's deadline of the asset lookup (then its fallback). */
  enrichTimeoutMs: number;
}

const CONSUMER_HOPS = 3; // parse, enrich, store

/**
 * The most an idle record can wait, from the waits: the gateway's linger, per consuming hop a
 * fetch that does not see the record until it expires and the minimum interval between chunks,
 * enrich's lookup deadline, plus {@link PROCESSING_ALLOWANCE_MS}. What is not on the path: the
 * commit interval (a chunk's offsets are committed after its outputs were acknowledged), the lag
 * and readiness timers, and chunking (a chunk is cut from what one fetch returned; nothing waits to
 * fill it).
 */
function idleBound(w: Waits): number {
  return w.lingerMs + CONSUMER_HOPS * (w.fetchMaxWaitMs + w.minFetchIntervalMs) + w.enrichTimeoutMs + PROCESSING_ALLOWANCE_MS;
}

const BASELINE: Waits = { lingerMs: 0, fetchMaxWaitMs: 300, minFetchIntervalMs: 0, enrichTimeoutMs: 500 };
const LONG_FETCH: Waits = { ...BASELINE, fetchMaxWaitMs: 16 * BASELINE.fetchMaxWaitMs };
const LINGER: Waits = { ...BASELINE, lingerMs: 800 };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Pipeline {
  tcpPort: number;
  storeHealthPort: number;
  stop(): Promise<void>;
}

describe('a record entering an idle pipeline is stored within the bound of the waits configured on its path', () => {
  let stub: AssetApiStub;
  let cql: cassandra.Client;
  let nextImei = 356_307_093_000_000 + Math.floor(Math.random() * 100_000) * 100;

  beforeAll(async () => {
    applyTopology(prefix, keyspace);
    stub = await createAssetApiStub({ port: 0, host: '127.0.0.1', latencyMs: 0 });
    cql = new cassandra.Client({ contactPoints: contactPoints.split(','), localDataCenter: 'datacenter1', keyspace });
    await cql.connect();
  }, 180_000);

  afterAll(async () => {
    await stub?.close();
    await cql?.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`).catch(() => undefined);
    await cql?.shutdown();
  }, 60_000);

  /**
   * Starts store, enrich, parse and gateway with `w` (same consumer groups each time: a run goes on
   * where the last one committed). On a failure it stops what it started, so no member of an
   * earlier run stays in a group to share the partitions of the next.
   */
  async function startPipeline(w: Waits): Promise<Pipeline> {
    const procs: ServiceProcess[] = [];
    const stop = async () => {
      for (const proc of [...procs].reverse()) {
        proc.child.kill('SIGTERM');
        await proc.exited;
      }
    };
    const consumer = (name: string) => ({
      CONSUMER_GROUP: `${prefix}${name}`,
      DLQ_TOPIC: topics.dlq,
      FETCH_MAX_WAIT_MS: String(w.fetchMaxWaitMs),
      MIN_FETCH_INTERVAL_MS: String(w.minFetchIntervalMs),
    });
    const start = async (name: string, env: Record<string, string>) => {
      const proc = startServiceProcess(`${repo}services/${name}/src/index.ts`, env);
      procs.push(proc);
      const port = await proc.healthPort;
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200, `${name} ready`, 120_000, 250);
      return port;
    };
    try {
      const storeHealthPort = await start('store', { ...consumer('store'), INPUT_TOPIC: topics.enriched, CASSANDRA_CONTACT_POINTS: contactPoints, CASSANDRA_KEYSPACE: keyspace });
      await start('enrich', { ...consumer('enrich'), INPUT_TOPIC: topics.parsed, OUTPUT_TOPIC: topics.enriched, REFERENCE_TOPIC: topics.assets, ASSET_API_URL: stub.url, ENRICH_TIMEOUT_MS: String(w.enrichTimeoutMs) });
      await start('parse', { ...consumer('parse'), INPUT_TOPIC: topics.raw, OUTPUT_TOPIC: topics.parsed });
      // The TCP port is picked before the gateway binds it: on a busy machine another process may
      // take it in between, so a port found taken is picked again.
      for (let attempt = 1; ; attempt++) {
        const tcpPort = await freePort();
        try {
          await start('gateway', { RAW_TOPIC: topics.raw, DLQ_TOPIC: topics.dlq, GATEWAY_TCP_PORT: String(tcpPort), GATEWAY_HTTP_PORT: '0', GATEWAY_UDP_ENABLED: 'false', GATEWAY_LINGER_MS: String(w.lingerMs) });
          return { tcpPort, storeHealthPort, stop };
        } catch (err) {
          if (attempt >= 3 || !/EADDRINUSE/.test(String(err))) throw err;
          procs.pop();
        }
      }
    } catch (err) {
      await stop();
      throw err;
    }
  }

  /** Sends one packet of one record over Teltonika TCP and returns its latency from the row's own timestamps. */
  async function sendOneAndMeasure(tcpPort: number): Promise<number> {
    const imeiBase = nextImei++;
    const deviceId = String(imeiBase);
    const summary = await createSimulator({ devices: 1, mode: 'steady', packetsPerDevice: 1, recordsPerPacket: 1, tcp: `127.0.0.1:${tcpPort}`, imeiBase, live: false }).run();
    if (summary.acked !== 1) throw new Error(`the gateway acknowledged ${summary.acked} packets of 1`);
    const row = await waitFor(
      async () => {
        const day = (await cql.execute('SELECT day FROM device_days WHERE device_id = ?', [deviceId], { prepare: true })).first();
        if (!day) return undefined;
        return (await cql.execute('SELECT received_at, WRITETIME(lat) AS written FROM positions_by_device_day WHERE device_id = ? AND day = ?', [deviceId, day.day], { prepare: true })).first() ?? undefined;
      },
      `the row of device ${deviceId}`,
      60_000,
      50,
    );
    const writtenMs = Number(row.written) / 1000;
    return writtenMs - (row.received_at as Date).getTime();
  }

  /**
   * Runs the pipeline with `w`: one record first (the first pays the start-up: statement
   * preparation, connections; not measured), then {@link RECORDS} records one by one, each after
   * {@link IDLE_GAP_MS} of idleness. Returns the records' latencies and the store's histogram delta.
   */
  async function idleLatencies(w: Waits): Promise<{ latencies: number[]; exported: { count: number; sumMs: number } }> {
    const pipeline = await startPipeline(w);
    try {
      await sendOneAndMeasure(pipeline.tcpPort);
      const before = { count: await scrapeMetric(pipeline.storeHealthPort, `${E2E}_count`), sum: await scrapeMetric(pipeline.storeHealthPort, `${E2E}_sum`) };
      const latencies: number[] = [];
      for (let i = 0; i < RECORDS; i++) {
        await sleep(IDLE_GAP_MS);
        latencies.push(await sendOneAndMeasure(pipeline.tcpPort));
      }
      // The store observes a record's latency right after its write resolved, a moment after the row is readable.
      const counted = () => scrapeMetric(pipeline.storeHealthPort, `${E2E}_count`);
      await waitFor(async () => (await counted()) - before.count >= RECORDS, `the store's ${E2E} to count ${RECORDS} records`, 10_000).catch(() => undefined);
      const count = (await counted()) - before.count;
      const sumMs = ((await scrapeMetric(pipeline.storeHealthPort, `${E2E}_sum`)) - before.sum) * 1000;
      return { latencies, exported: { count, sumMs } };
    } finally {
      await pipeline.stop();
    }
  }

  test(`baseline (${JSON.stringify(BASELINE)}): each record is stored within the bound of its waits, ${idleBound(BASELINE)} ms`, async () => {
    // Act
    const { latencies, exported } = await idleLatencies(BASELINE);

    // Assess
    console.info(`idle latency, baseline: ${latencies.map((l) => l.toFixed(0)).join(', ')} ms (bound ${idleBound(BASELINE)} ms)`);
    expect(latencies).toHaveLength(RECORDS);
    for (const l of latencies) {
      expect(l).toBeGreaterThanOrEqual(0);
      expect(l).toBeLessThanOrEqual(idleBound(BASELINE));
    }
    expect(exported.count).toBe(RECORDS);
    expect(exported.sumMs).toBeLessThanOrEqual(RECORDS * idleBound(BASELINE));
  }, 300_000);

  test(`a fetch wait 16x longer (${LONG_FETCH.fetchMaxWaitMs} ms) is not paid by an idle record: each is still stored within the baseline's bound`, async () => {
    // Act
    const { latencies, exported } = await idleLatencies(LONG_FETCH);

    // Assess
    console.info(`idle latency, FETCH_MAX_WAIT_MS=${LONG_FETCH.fetchMaxWaitMs}: ${latencies.map((l) => l.toFixed(0)).join(', ')} ms (baseline bound ${idleBound(BASELINE)} ms)`);
    expect(latencies).toHaveLength(RECORDS);
    for (const l of latencies) expect(l).toBeLessThanOrEqual(idleBound(BASELINE));
    expect(exported.count).toBe(RECORDS);
  }, 300_000);

  test(`a gateway linger (${LINGER.lingerMs} ms) is paid by every idle record: each latency is at least the linger and within the bound that counts it`, async () => {
    // Act
    const { latencies, exported } = await idleLatencies(LINGER);

    // Assess
    console.info(`idle latency, GATEWAY_LINGER_MS=${LINGER.lingerMs}: ${latencies.map((l) => l.toFixed(0)).join(', ')} ms (bound ${idleBound(LINGER)} ms)`);
    expect(latencies).toHaveLength(RECORDS);
    for (const l of latencies) {
      expect(l).toBeGreaterThanOrEqual(LINGER.lingerMs);
      expect(l).toBeLessThanOrEqual(idleBound(LINGER));
    }
    expect(exported.count).toBe(RECORDS);
    expect(exported.sumMs).toBeGreaterThanOrEqual(RECORDS * LINGER.lingerMs);
    expect(exported.sumMs).toBeLessThanOrEqual(RECORDS * idleBound(LINGER));
  }, 300_000);
});
