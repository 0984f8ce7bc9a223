import type { AssetLookup } from '../src/asset-client.ts';
import { AssetCache } from '../src/asset-cache.ts';
import { AssetResolver } from '../src/asset-resolver.ts';
import type { Asset } from '../src/event.ts';

const asset = (id: string): Asset => ({ assetId: `a-${id}`, customerId: 'c', model: 'm', owner: 'o', tags: [] });

interface ManualCall {
  id: string;
  aborted: boolean;
  resolve: (a: Asset | null) => void;
  reject: (e: unknown) => void;
}

/** A fetch whose calls stay pending until the test settles (or the resolver aborts) them. */
function manualFetch() {
  const calls: ManualCall[] = [];
  const fetch = (id: string): AssetLookup => {
    let call!: ManualCall;
    const result = new Promise<Asset | null>((resolve, reject) => {
      call = { id, aborted: false, resolve, reject };
      calls.push(call);
    });
    return {
      result,
      abort: (reason) => {
        call.aborted = true;
        call.reject(reason);
      },
    };
  };
  return { calls, fetch };
}

const newCache = () => new AssetCache({ ttlMs: 60_000, negativeTtlMs: 60_000, maxEntries: 100 });

describe('AssetResolver', () => {
  test('concurrent lookups of one device share one call, and the answer is cached', async () => {
    // Prepare
    const { calls, fetch } = manualFetch();
    const resolver = new AssetResolver({ fetch, cache: newCache() });
    const signal = new AbortController().signal;

    // Act
    const waits = [resolver.resolve('d1', signal), resolver.resolve('d1', signal), resolver.resolve('d1', new AbortController().signal)];
    calls[0]!.resolve(asset('d1'));
    const answers = await Promise.all(waits);
    const cached = await resolver.resolve('d1', signal);

    // Assess
    expect(calls.map((c) => c.id)).toEqual(['d1']);
    expect(answers).toEqual([asset('d1'), asset('d1'), asset('d1')]);
    expect(cached).toEqual(asset('d1'));
    expect(resolver.inFlight).toBe(0);
  });

  test('a waiter whose signal aborts is rejected at once; the call goes on while another waiter remains', async () => {
    // Prepare
    const { calls, fetch } = manualFetch();
    const resolver = new AssetResolver({ fetch, cache: newCache() });
    const leaving = new AbortController();
    const reason = new Error('deadline');

    // Act
    const gone = resolver.resolve('d1', leaving.signal).catch((e: unknown) => e);
    const staying = resolver.resolve('d1', new AbortController().signal);
    leaving.abort(reason);
    const goneErr = await gone;
    const callAborted = calls[0]!.aborted;
    calls[0]!.resolve(asset('d1'));

    // Assess
    expect(goneErr).toBe(reason);
    expect(callAborted).toBe(false);
    expect(await staying).toEqual(asset('d1'));
  });

  test('when every waiter gave up the call is aborted, and the next lookup starts a fresh call', async () => {
    // Prepare
    const { calls, fetch } = manualFetch();
    const resolver = new AssetResolver({ fetch, cache: newCache() });
    const batch = new AbortController();
    const reason = new Error('deadline');

    // Act
    const waits = [resolver.resolve('d1', batch.signal), resolver.resolve('d2', batch.signal)].map((p) => p.catch((e: unknown) => e));
    batch.abort(reason);
    const errs = await Promise.all(waits);
    const again = resolver.resolve('d1', new AbortController().signal);
    calls[2]!.resolve(null);

    // Assess
    expect(errs).toEqual([reason, reason]);
    expect(calls.map((c) => [c.id, c.aborted])).toEqual([['d1', true], ['d2', true], ['d1', false]]);
    expect(await again).toBeNull();
  });

  test('an already aborted signal rejects without a call; a failed call rejects every waiter and is not cached', async () => {
    // Prepare
    const { calls, fetch } = manualFetch();
    const remote: string[] = [];
    const resolver = new AssetResolver({ fetch, cache: newCache(), onRemoteCall: () => remote.push('call') });
    const reason = new Error('late');
    const failure = new Error('503');

    // Act
    const aborted = await resolver.resolve('d1', AbortSignal.abort(reason)).catch((e: unknown) => e);
    const signal = new AbortController().signal;
    const waits = [resolver.resolve('d2', signal), resolver.resolve('d2', signal)].map((p) => p.catch((e: unknown) => e));
    calls[0]!.reject(failure);
    const errs = await Promise.all(waits);
    const retry = resolver.resolve('d2', signal);
    calls[1]!.resolve(asset('d2'));

    // Assess
    expect(aborted).toBe(reason);
    expect(errs).toEqual([failure, failure]);
    expect(await retry).toEqual(asset('d2'));
    expect(remote).toEqual(['call', 'call']);
  });

  test('each call reports its end once, with the time it was in flight: answered, failed, and aborted by its last waiter', async () => {
    // Prepare
    const { calls, fetch } = manualFetch();
    const ends: number[] = [];
    const resolver = new AssetResolver({ fetch, cache: newCache(), onRemoteCallEnd: (ms) => ends.push(ms) });
    const controller = new AbortController();
    const held = 30;

    // Act
    const answered = resolver.resolve('d1', new AbortController().signal);
    const coalesced = resolver.resolve('d1', new AbortController().signal);
    const failed = resolver.resolve('d2', new AbortController().signal).catch((e: unknown) => e);
    const abandoned = resolver.resolve('d3', controller.signal).catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, held));
    calls[0]!.resolve(asset('d1'));
    calls[1]!.reject(new Error('503'));
    controller.abort(new Error('deadline'));
    await Promise.all([answered, coalesced, failed, abandoned]);
    await resolver.resolve('d1', new AbortController().signal); // cached: no call, no end

    // Assess
    expect(calls.map((c) => [c.id, c.aborted])).toEqual([['d1', false], ['d2', false], ['d3', true]]);
    expect(ends).toHaveLength(3);
    for (const ms of ends) expect(ms).toBeGreaterThanOrEqual(held - 1);
  });
});
