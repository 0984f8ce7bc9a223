/**
 * Bench of enrich's remote path (async operator + undici pool + cache + coalescing + the stub over
 * real HTTP), without Kafka:
 * 1. enrich-vs-littles-law: distinct devices (no cache help), 20 ms stub, capacity 200: throughput
 *    against capacity ÷ latency = 10,000 events/s (goal >= 0.9 of it).
 * 2. remote-calls-per-event: a simulated fleet mix (most devices in the reference table, a few
 *    unknown to it, events repeating per device) through the whole transform (goal <= 0.1).
 * Writes bench/results/enrich.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import { AsyncOperator, createStreamMetrics, isRetryable, type InboundRecord } from '@fleetstream/stream';
import { spawn } from 'node:child_process';
import { Pool } from 'undici';
import { fileURLToPath } from 'node:url';
import { AssetApiClient } from '../src/asset-client.ts';
import { AssetCache } from '../src/asset-cache.ts';
import { AssetResolver } from '../src/asset-resolver.ts';
import { createEnrichMetrics } from '../src/enrich-metrics.ts';
import { createEnrichTransform, fallbackResolution } from '../src/enrich-transform.ts';
import { enrichmentOf, type Asset, type Enrichment } from '../src/event.ts';
import { uuidFromKey } from '@fleetstream/telemetry';

const LATENCY_MS = 20;
const CAPACITY = 200;
const BOUND = (CAPACITY * 1000) / LATENCY_MS;

function build(url: string, registry: Registry, timeoutMs = 10_000) {
  const metrics = createEnrichMetrics(registry, 'enrich-bench');
  const cache = new AssetCache({ ttlMs: 300_000, negativeTtlMs: 60_000, maxEntries: 1_000_000 });
  const client = new AssetApiClient({ url, connections: CAPACITY, connectTimeoutMs: 1_000, readTimeoutMs: 2_000 });
  const resolver = new AssetResolver({ fetch: (id, s) => client.fetchAsset(id, s), cache, onRemoteCall: () => metrics.countRemoteCall() });
  const operator = new AsyncOperator<string, Enrichment>({
    capacity: CAPACITY,
    timeoutMs,
    mode: 'per-key',
    keyOf: (id) => id,
    call: async (id, signal) => {
      return enrichmentOf(await resolver.resolve(id, signal), 'remote');
    },
    retry: { attempts: 3, baseMs: 20, maxMs: 200, isRetryable },
    fallback: (id) => fallbackResolution(cache, id),
  });
  return { metrics, cache, client, operator };
}

function record(deviceId: string, i: number): InboundRecord {
  const value = JSON.stringify({ schemaVersion: 1, eventId: uuidFromKey('enrich-bench', i), deviceId, eventTime: 1, receivedAt: 2, position: { lat: 1, lon: 2, altitude: 3, heading: 4, speed: 5, satellites: 6 }, priority: 0, eventIoId: 0, io: { '1': i } });
  return { topic: 'telemetry.parsed', partition: 0, offset: String(i), key: Buffer.from(deviceId), value: Buffer.from(value), headers: {}, timestamp: 0 };
}

async function littlesLaw(url: string): Promise<{ eventsPerSec: number; events: number; seconds: number; notRemote: number }> {
  // Every item is queued at t0, so its deadline (counted from arrival) must outlast the whole run:
  // with 10 s, a loaded machine turned the last chunks into fallbacks (no call) that still
  // counted as throughput.
  const { client, operator } = build(url, new Registry(), 600_000);
  // Warm the pool's connections first, so connects are not measured.
  await operator.process(Array.from({ length: CAPACITY }, (_, i) => `warm-${i}1`));
  const events = 30_000;
  const chunk = 2_000;
  const ids = Array.from({ length: events }, (_, i) => `dev-${i}1`); // distinct, known: every event costs one call
  const t0 = performance.now();
  // Several chunks in flight at once, as partitions are handled concurrently by the consumer.
  const chunks = [];
  for (let s = 0; s < events; s += chunk) chunks.push(ids.slice(s, s + chunk));
  const results = (await Promise.all(chunks.map((c) => operator.process(c)))).flat();
  const seconds = (performance.now() - t0) / 1000;
  await client.close();
  // Only answers of a real remote call count: no fallback, no failure, no cache.
  const remote = results.filter((r) => r.ok && !r.fallback && r.value.source === 'remote' && r.value.asset !== null).length;
  return { eventsPerSec: remote / seconds, events, seconds, notRemote: events - remote };
}

/**
 * The bare-client baseline in the same run: the same stub, the same number of requests, `CAPACITY`
 * concurrent loops over a plain undici Pool — no operator, no cache, no resolver. On a machine that
 * cannot serve capacity ÷ latency requests per second (client and stub share its cores), this is
 * the honest ceiling the operator is compared with.
 */
async function bareUndici(url: string): Promise<{ eventsPerSec: number }> {
  const pool = new Pool(url, { connections: CAPACITY });
  const events = 30_000;
  let next = 0;
  const loop = async () => {
    while (next < events) {
      const i = next++;
      const res = await pool.request({ path: `/assets/dev-${i}1`, method: 'GET' });
      await res.body.text();
    }
  };
  await Promise.all(Array.from({ length: CAPACITY }, loop)); // warm
  next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CAPACITY }, loop));
  const seconds = (performance.now() - t0) / 1000;
  await pool.close();
  return { eventsPerSec: events / seconds };
}

async function fleetMix(url: string): Promise<{ ratio: number; events: number; remoteCalls: number }> {
  const registry = new Registry();
  createStreamMetrics(registry, 'enrich-bench', { processMetrics: false });
  const { metrics, cache, client, operator } = build(url, registry);
  // 5,000 devices: 95 % in the reference table, 5 % only behind the API; 20 events per device.
  const devices = 5_000;
  const table = new Map<string, Asset>();
  for (let d = 0; d < devices; d++) {
    if (d % 20 !== 0) table.set(`imei-${d}`, { assetId: `a-${d}`, customerId: 'c', model: 'm', owner: 'o', tags: [] });
  }
  const transform = createEnrichTransform({ outputTopic: 'telemetry.enriched', table, cache, operator, metrics, service: 'enrich-bench' });
  let i = 0;
  for (let round = 0; round < 20; round++) {
    const chunk: InboundRecord[] = [];
    for (let d = 0; d < devices; d++) chunk.push(record(`imei-${(d * 7919 + round) % devices}`, i++));
    for (let s = 0; s < chunk.length; s += 500) await transform(chunk.slice(s, s + 500));
  }
  await client.close();
  return { ratio: metrics.totals.remoteCalls / metrics.totals.events, events: metrics.totals.events, remoteCalls: metrics.totals.remoteCalls };
}

// The stub runs in its own process, so its HTTP work does not share this event loop.
const stubEntry = fileURLToPath(new URL('../../../tools/asset-api-stub/src/index.ts', import.meta.url));
const child = spawn(process.execPath, [stubEntry], { env: { PATH: process.env.PATH, PORT: '0', HOST: '127.0.0.1', LATENCY_MS: String(LATENCY_MS) }, stdio: ['ignore', 'pipe', 'inherit'] });
const port = await new Promise<number>((resolve, reject) => {
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    const m = /"port":(\d+)/.exec(out);
    if (m) resolve(Number(m[1]));
  });
  child.once('exit', () => reject(new Error('stub exited before listening')));
});
const url = `http://127.0.0.1:${port}`;
const bare = await bareUndici(url);
const ll = await littlesLaw(url);
const mix = await fleetMix(url);
child.kill('SIGTERM');

const measures = [
  { name: 'enrich-vs-littles-law', value: Math.round(ll.eventsPerSec), unit: 'events/s', baseline: BOUND, ratio: Number((ll.eventsPerSec / BOUND).toFixed(3)), goal: 0.9 },
  { name: 'enrich-vs-bare-undici', value: Math.round(ll.eventsPerSec), unit: 'events/s', baseline: Math.round(bare.eventsPerSec), ratio: Number((ll.eventsPerSec / bare.eventsPerSec).toFixed(3)), goal: 0.9 },
  { name: 'bare-undici-vs-littles-law', value: Math.round(bare.eventsPerSec), unit: 'events/s', baseline: BOUND, ratio: Number((bare.eventsPerSec / BOUND).toFixed(3)), goal: null },
  { name: 'remote-calls-per-event', value: Number(mix.ratio.toFixed(4)), unit: 'calls/event', baseline: 1, ratio: Number(mix.ratio.toFixed(4)), goal: 0.1, better: 'lower' },
];
console.table(measures);
console.log(`little's law: ${ll.events} distinct-device events in ${ll.seconds.toFixed(2)} s (${ll.notRemote} without a remote answer, not counted); fleet mix: ${mix.remoteCalls} remote calls for ${mix.events} events`);
const dir = new URL('./results/', import.meta.url);
mkdirSync(dir, { recursive: true });
writeFileSync(new URL('enrich.json', dir), `${JSON.stringify({ measures }, null, 2)}\n`);
