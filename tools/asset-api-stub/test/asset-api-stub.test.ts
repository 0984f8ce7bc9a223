import {
  createAssetApiStub,
  spawnStubProcess,
  syntheticAsset,
  type AssetApiStub,
} from '../src/index.ts';
import { loadStubConfig } from '../src/config.ts';

const get = async (stub: AssetApiStub, path: string) => {
  const res = await fetch(`${stub.url}${path}`);
  return { status: res.status, body: (await res.json().catch(() => null)) as unknown };
};

describe('the asset API stub over real HTTP', () => {
  let stub: AssetApiStub | undefined;
  afterEach(async () => {
    await stub?.close();
    stub = undefined;
  });

  test('answers a known device with its asset as JSON and counts the request', async () => {
    // Prepare
    stub = await createAssetApiStub({ port: 0 });

    // Act
    const res = await get(stub, '/assets/356307042441013');

    // Assess
    expect(res).toEqual({ status: 200, body: syntheticAsset('356307042441013') });
    expect(stub.stats.requests).toBe(1);
  });

  test('answers 404 for a device whose id ends in 0 and for a device missing from a given map', async () => {
    // Prepare
    const mapStub = await createAssetApiStub({
      port: 0,
      assets: new Map([
        [
          'a',
          { deviceId: 'a', assetId: 'A', customerId: 'C', model: 'M', owner: 'O', tags: ['x'] },
        ],
      ]),
    });
    stub = await createAssetApiStub({ port: 0 });

    // Act
    const unknownSynthetic = await get(stub, '/assets/dev-10');
    const known = await get(mapStub, '/assets/a');
    const unknown = await get(mapStub, '/assets/b');
    await mapStub.close();

    // Assess
    expect(unknownSynthetic.status).toBe(404);
    expect(known).toEqual({
      status: 200,
      body: { deviceId: 'a', assetId: 'A', customerId: 'C', model: 'M', owner: 'O', tags: ['x'] },
    });
    expect(unknown.status).toBe(404);
  });

  test('failNext(2, 503) answers the next two requests 503, then the asset', async () => {
    // Prepare
    stub = await createAssetApiStub({ port: 0 });
    stub.failNext(2, 503);

    // Act
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await get(stub, '/assets/dev-1')).status);

    // Assess
    expect(statuses).toEqual([503, 503, 200]);
    expect(stub.stats.byDevice.get('dev-1')).toBe(3);
  });

  test('errorRate 1 answers every request 503', async () => {
    // Prepare
    stub = await createAssetApiStub({ port: 0, errorRate: 1 });

    // Act
    const statuses = await Promise.all(
      [1, 2, 3].map(async (i) => (await get(stub!, `/assets/dev-${i}`)).status),
    );

    // Assess
    expect(statuses).toEqual([503, 503, 503]);
  });

  test('latency delays the answer by at least latencyMs, and slowTailRate 1 uses slowTailMs instead', async () => {
    // Prepare
    stub = await createAssetApiStub({ port: 0, latencyMs: 100, slowTailRate: 1, slowTailMs: 300 });
    const plain = await createAssetApiStub({ port: 0, latencyMs: 100 });

    // Act
    let t0 = performance.now();
    await get(plain, '/assets/dev-1');
    const plainMs = performance.now() - t0;
    t0 = performance.now();
    await get(stub, '/assets/dev-1');
    const tailMs = performance.now() - t0;
    await plain.close();

    // Assess: lower bounds only (no timed upper bounds on a shared machine)
    expect(plainMs).toBeGreaterThanOrEqual(95);
    expect(tailMs).toBeGreaterThanOrEqual(295);
  });

  test('a delayed answer to a client that gave up is skipped, and later requests are still answered', async () => {
    // Prepare
    stub = await createAssetApiStub({ port: 0, latencyMs: 50 });
    const gaveUp = fetch(`${stub.url}/assets/dev-1`, { signal: AbortSignal.timeout(10) }).then(
      () => 'answered',
      () => 'aborted',
    );

    // Act
    const first = await gaveUp;
    const later = await get(stub, '/assets/dev-2');

    // Assess
    expect(first).toBe('aborted');
    expect(later.status).toBe(200);
    expect(stub.stats.requests).toBe(2);
  });

  test('answers 404 for other paths and methods', async () => {
    // Prepare
    stub = await createAssetApiStub({ port: 0 });

    // Act
    const other = await fetch(`${stub.url}/nope`);
    const post = await fetch(`${stub.url}/assets/dev-1`, { method: 'POST' });

    // Assess
    expect([other.status, post.status]).toEqual([404, 404]);
    expect(stub.stats.requests).toBe(0);
  });

  test.each([
    ['PORT', { PORT: '70000' }],
    ['ERROR_RATE', { ERROR_RATE: '2' }],
    ['LATENCY_MS', { LATENCY_MS: 'slow' }],
  ])('a malformed %s is a config error naming it', (variable, env) => {
    expect(() => loadStubConfig(env)).toThrow(
      expect.objectContaining({ code: 'ASSET_API_STUB_CONFIG_INVALID', variable }),
    );
  });

  test('the process starts from the environment, serves, and exits 0 on SIGTERM', async () => {
    // Prepare
    const proc = await spawnStubProcess({ LATENCY_MS: '5' });

    // Act
    const res = await fetch(`${proc.url}/assets/dev-7`);
    const body = (await res.json()) as { assetId: string };
    const code = await proc.stop();

    // Assess
    expect(res.status).toBe(200);
    expect(body.assetId).toBe('asset-dev-7');
    expect(code).toBe(0);
  });

  test('the process exits 2 on a malformed variable, before it listens', async () => {
    await expect(spawnStubProcess({ LATENCY_MS: 'slow' })).rejects.toThrow(
      'asset-api-stub exited (code 2) before listening',
    );
  });
});
