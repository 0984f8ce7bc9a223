// @servers kafka
import { createAssetApiStub, syntheticAsset, type AssetApiStub } from '@fleetstream/asset-api-stub';
import { createLogger } from '@fleetstream/stream';
import { ReferenceTable } from '../src/reference-table.ts';
import { assetRow, client, createTestTopics, events, holdReads, produce, readN, scrapeMetric, startEnrich, suffix, waitFor, type TestTopics } from './helpers/kafka.ts';

const stubAsset = (deviceId: string) => {
  const a = syntheticAsset(deviceId)!;
  return { assetId: a.assetId, customerId: a.customerId, model: a.model, owner: a.owner, tags: a.tags };
};

describe('enrich over real Kafka with the asset API stub over real HTTP', () => {
  let stub: AssetApiStub;
  let topics: TestTopics;
  const stops: (() => Promise<void>)[] = [];

  beforeEach(async () => {
    topics = await createTestTopics();
    stub = await createAssetApiStub({ port: 0 });
  });
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop();
    await stub.close();
  });

  test('an event of a device in the reference table is enriched from it with status ok and no remote call, keeping its headers', async () => {
    // Prepare
    await produce([assetRow(topics.reference, 'dev-1', 'truck-1')]);
    const { shutdown, deps } = await startEnrich(topics, stub.url);
    stops.push(shutdown);

    // Act
    await produce(events(topics.input, 'dev-1', 1));
    const [out] = await readN(topics.output, 1);

    // Assess
    expect(out!.key).toBe('dev-1');
    expect(out!.value.asset).toEqual({ assetId: 'truck-1', customerId: 'cust-1', model: 'FMB920', owner: 'acme', tags: ['truck', 'north'] });
    expect(out!.value.enrichment).toBe('ok');
    expect(out!.value.io).toEqual({ '1': 0 });
    expect(out!.headers['schema-version']).toBe('1');
    expect(out!.headers.receivedAt).toBe(String(out!.value.receivedAt));
    expect(stub.stats.requests).toBe(0);
    expect(await scrapeMetric(deps.health.port, 'fleetstream_enrich_table_hits_total')).toBe(1);
  });

  test('a device missing from the table costs one remote call (ok), and an unknown device (404) is emitted as missing', async () => {
    // Prepare
    const { shutdown, deps } = await startEnrich(topics, stub.url);
    stops.push(shutdown);

    // Act
    await produce([...events(topics.input, 'dev-7', 1), ...events(topics.input, 'dev-10', 1)]);
    const out = await readN(topics.output, 2);

    // Assess
    const byDevice = new Map(out.map((o) => [o.key, o.value]));
    expect(byDevice.get('dev-7')).toMatchObject({ asset: stubAsset('dev-7'), enrichment: 'ok' });
    expect(byDevice.get('dev-10')).toMatchObject({ asset: null, enrichment: 'missing' });
    expect(stub.stats.byDevice).toEqual(new Map([['dev-7', 1], ['dev-10', 1]]));
    expect(await scrapeMetric(deps.health.port, 'fleetstream_enrich_remote_calls_total')).toBe(2);
    expect(await scrapeMetric(deps.health.port, 'fleetstream_enrich_remote_call_ratio')).toBe(1);
  });

  test('200 concurrent events of one device make exactly one remote call, and later events hit the cache', async () => {
    // Prepare
    const { shutdown, deps } = await startEnrich(topics, stub.url);
    stops.push(shutdown);

    // Act
    await produce(events(topics.input, 'dev-3', 200));
    const first = await readN(topics.output, 200);
    await produce(events(topics.input, 'dev-3', 10, 200));
    const all = await readN(topics.output, 210);

    // Assess
    expect(first.every((o) => o.value.enrichment === 'ok')).toBe(true);
    expect(all.map((o) => (o.value.io as Record<string, number>)['1'])).toEqual(Array.from({ length: 210 }, (_, i) => i));
    expect(stub.stats.requests).toBe(1);
    expect(await scrapeMetric(deps.health.port, 'fleetstream_enrich_remote_calls_total')).toBe(1);
    // Every event but the one that called was answered by coalescing (same chunk) or the cache (later chunks).
    const coalesced = await scrapeMetric(deps.health.port, 'fleetstream_enrich_coalesced_total');
    const cacheHits = await scrapeMetric(deps.health.port, 'fleetstream_enrich_cache_hits_total');
    expect(coalesced + cacheHits).toBe(209);
    expect(cacheHits).toBeGreaterThanOrEqual(10);
  });

  test('a 3 s asset API with a 1 s deadline: events are emitted as missing (or partial) at the deadline, in per-device order', async () => {
    // Prepare
    stub.setLatency(3_000);
    const { shutdown, deps } = await startEnrich(topics, stub.url, { ENRICH_TIMEOUT_MS: '1000' });
    stops.push(shutdown);
    const input = [];
    for (let i = 0; i < 20; i++) for (const d of ['dev-21', 'dev-22', 'dev-23']) input.push(...events(topics.input, d, 1, i));

    // Act
    await produce(input);
    const out = await readN(topics.output, 60);

    // Assess: the stub never answered in time, so every status comes from the deadline's fallback
    expect(new Set(out.map((o) => o.value.enrichment))).toEqual(new Set(['missing']));
    for (const d of ['dev-21', 'dev-22', 'dev-23']) {
      expect(out.filter((o) => o.key === d).map((o) => (o.value.io as Record<string, number>)['1'])).toEqual(Array.from({ length: 20 }, (_, i) => i));
    }
    expect(await scrapeMetric(deps.health.port, 'fleetstream_async_timeouts_total')).toBeGreaterThanOrEqual(3);
  });

  test('an asset API answering 503 twice then 200 is retried and the event is enriched', async () => {
    // Prepare
    stub.failNext(2, 503);
    const { shutdown, deps } = await startEnrich(topics, stub.url);
    stops.push(shutdown);

    // Act
    await produce(events(topics.input, 'dev-31', 1));
    const [out] = await readN(topics.output, 1);

    // Assess
    expect(out!.value).toMatchObject({ asset: stubAsset('dev-31'), enrichment: 'ok' });
    expect(stub.stats.requests).toBe(3);
    expect(await scrapeMetric(deps.health.port, 'fleetstream_async_retries_total')).toBe(2);
  });

  test('with ENRICH_FAILURE_POLICY=dlq a failed enrichment goes to the DLQ with reason ENRICH_FAILED; bad records go there too', async () => {
    // Prepare
    stub.failNext(10, 500);
    const { shutdown } = await startEnrich(topics, stub.url, { ENRICH_FAILURE_POLICY: 'dlq', ENRICH_RETRY_ATTEMPTS: '2', ENRICH_RETRY_BASE_MS: '1', ENRICH_RETRY_MAX_MS: '5' });
    stops.push(shutdown);

    // Act
    await produce([
      ...events(topics.input, 'dev-41', 1),
      { topic: topics.input, key: 'x', value: 'not json' },
      { topic: topics.input, key: 'y', value: JSON.stringify({ schemaVersion: 2, deviceId: 'y' }) },
    ]);
    const dead = await readN(topics.dlq, 3);

    // Assess
    const reasons = new Map(dead.map((d) => [d.key, d.headers['dlq.error.class']]));
    expect(reasons).toEqual(new Map([['dev-41', 'ENRICH_FAILED'], ['x', 'TELEMETRY_SCHEMA_INVALID'], ['y', 'TELEMETRY_UNSUPPORTED_SCHEMA_VERSION']]));
  });

  test('a tombstone removes an asset from the table: the next event of that device goes to the asset API', async () => {
    // Prepare
    await produce([assetRow(topics.reference, 'dev-51', 'truck-51')]);
    const { shutdown, enrich } = await startEnrich(topics, stub.url);
    stops.push(shutdown);
    await produce(events(topics.input, 'dev-51', 1));
    await readN(topics.output, 1);

    // Act
    await produce([{ topic: topics.reference, key: 'dev-51', value: null }]);
    await waitFor(() => enrich.table.get('dev-51') === undefined, 'the tombstone to remove dev-51', 20_000);
    await produce(events(topics.input, 'dev-51', 1, 1));
    const out = await readN(topics.output, 2);

    // Assess
    expect(out.map((o) => (o.value.asset as { assetId: string }).assetId)).toEqual(['truck-51', 'asset-dev-51']);
    expect(stub.stats.requests).toBe(1);
  });

  test('a restart rebuilds the table from the beginning before /readyz turns 200', async () => {
    // Prepare: a first instance, then changes while it is down
    await produce([assetRow(topics.reference, 'dev-61', 'a61'), assetRow(topics.reference, 'dev-62', 'a62'), assetRow(topics.reference, 'dev-63', 'a63')]);
    const first = await startEnrich(topics, stub.url);
    expect(first.enrich.table.size).toBe(3);
    await first.shutdown();
    await produce([assetRow(topics.reference, 'dev-64', 'a64'), { topic: topics.reference, key: 'dev-62', value: null }, assetRow(topics.reference, 'dev-61', 'a61-v2')]);
    const table = new ReferenceTable({ kafka: client(), topic: topics.reference, groupId: `table-${suffix()}`, logger: createLogger({ service: 'test', version: '0', level: 'silent' }) });

    // Act
    await table.start();
    const readyBeforeCatchUp = table.caughtUp;
    await table.whenCaughtUp();
    await table.stop();
    // The second instance's reads of the reference topic are held until the test releases them
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let reached!: () => void;
    const rebuilding = new Promise<void>((r) => (reached = r));
    let healthPort = 0;
    const starting = startEnrich(topics, stub.url, {}, (deps) => {
      healthPort = deps.health.port;
      return { ...deps, kafka: holdReads(deps.kafka, topics.reference, gate, reached) };
    });
    await rebuilding;
    const response = await fetch(`http://127.0.0.1:${healthPort}/readyz`);
    const whileRebuilding = { status: response.status, failing: ((await response.json()) as { failing: string[] }).failing };
    release();
    const second = await starting;
    stops.push(second.shutdown);
    const readyz = await fetch(`http://127.0.0.1:${second.deps.health.port}/readyz`);
    await produce(events(topics.input, 'dev-64', 1));
    const [out] = await readN(topics.output, 1);

    // Assess
    expect(readyBeforeCatchUp).toBe(false);
    expect([table.size, table.get('dev-61')?.assetId, table.get('dev-62')]).toEqual([3, 'a61-v2', undefined]);
    expect(whileRebuilding.status).toBe(503);
    expect(whileRebuilding.failing).toContain('reference-table');
    expect(readyz.status).toBe(200);
    expect([second.enrich.table.size, second.enrich.table.get('dev-61')?.assetId, second.enrich.table.get('dev-62')]).toEqual([3, 'a61-v2', undefined]);
    expect((out!.value.asset as { assetId: string }).assetId).toBe('a64');
    expect(stub.stats.requests).toBe(0);
  });
});
