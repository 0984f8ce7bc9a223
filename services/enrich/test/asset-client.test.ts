import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAssetApiStub, syntheticAsset, type AssetApiStub } from '@fleetstream/asset-api-stub';
import { AssetApiClient } from '../src/asset-client.ts';

const clientFor = (url: string, readTimeoutMs = 2_000) => new AssetApiClient({ url, connections: 4, connectTimeoutMs: 1_000, readTimeoutMs });

/** A server answering every request with `status` and `body` (for answers the stub cannot give). */
async function rawServer(status: number, body: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((_req, res) => res.writeHead(status, { 'content-type': 'application/json' }).end(body));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

describe('AssetApiClient over real HTTP', () => {
  let stub: AssetApiStub;
  let client: AssetApiClient;
  afterEach(async () => {
    await client.close();
    await stub?.close();
  });

  test('200 gives the asset, 404 gives null, and a path prefix of the URL is kept', async () => {
    // Prepare
    stub = await createAssetApiStub({ port: 0 });
    client = clientFor(stub.url);
    const prefixed = clientFor(`${stub.url}/`);

    // Act
    const known = await client.lookup('dev-7').result;
    const unknown = await client.lookup('dev-10').result;
    const viaPrefix = await prefixed.lookup('dev-8').result;
    await prefixed.close();

    // Assess
    const a = syntheticAsset('dev-7')!;
    expect(known).toEqual({ assetId: a.assetId, customerId: a.customerId, model: a.model, owner: a.owner, tags: a.tags });
    expect(unknown).toBeNull();
    expect(viaPrefix?.assetId).toBe('asset-dev-8');
    expect(stub.stats.byDevice.get('dev-7')).toBe(1);
  });

  test.each([
    [503, true],
    [429, true],
    [400, false],
  ])('status %d is ENRICH_ASSET_API_STATUS, retryable: %s', async (status, retryable) => {
    // Prepare
    stub = await createAssetApiStub({ port: 0 });
    stub.failNext(1, status);
    client = clientFor(stub.url);

    // Act
    const err = await client.lookup('dev-1').result.catch((e: unknown) => e);

    // Assess
    expect(err).toMatchObject({ code: 'ENRICH_ASSET_API_STATUS', retryable, details: { status } });
  });

  test("a lookup's abort rejects it at once with the reason; an abort after the answer changes nothing", async () => {
    // Prepare
    stub = await createAssetApiStub({ port: 0, latencyMs: 2_000 });
    client = clientFor(stub.url);
    const reason = new Error('every waiter gave up');

    // Act
    const slow = client.lookup('dev-1');
    const started = performance.now();
    setTimeout(() => slow.abort(reason), 20);
    const err = await slow.result.catch((e: unknown) => e);
    const tookMs = performance.now() - started;
    slow.abort(new Error('again'));
    stub.setLatency(0);
    const done = client.lookup('dev-2');
    const answer = await done.result;
    done.abort(reason);

    // Assess
    expect(err).toBe(reason);
    expect(tookMs).toBeLessThan(1_000); // long before the stub's 2 s answer
    expect(answer?.assetId).toBe('asset-dev-2');
    expect(await done.result).toEqual(answer);
  });

  test('an unreachable API is a retryable ASSET_API_UNREACHABLE', async () => {
    // Prepare: a port that was free a moment ago
    const s = await rawServer(200, '{}');
    const url = s.url;
    await s.close();
    client = clientFor(url);

    // Act
    const err = await client.lookup('dev-1').result.catch((e: unknown) => e);

    // Assess
    expect(err).toMatchObject({ code: 'ENRICH_ASSET_API_UNREACHABLE', retryable: true });
  });

  test.each([
    ['not JSON', 'not json', 'ENRICH_ASSET_API_UNREACHABLE'],
    ['JSON without assetId', '{"model":"x"}', 'ENRICH_ASSET_API_BAD_RESPONSE'],
  ])('a 200 whose body is %s fails with %s', async (_what, body, code) => {
    // Prepare
    const s = await rawServer(200, body);
    client = clientFor(s.url);

    // Act
    const err = await client.lookup('dev-1').result.catch((e: unknown) => e);
    await s.close();

    // Assess
    expect(err).toMatchObject({ code });
  });
});
