import { describe, expect, test } from '@jest/globals';
import { AssetCache } from '../src/asset-cache.ts';
import type { Asset } from '../src/event.ts';

const asset = (id: string): Asset => ({ assetId: `a-${id}`, customerId: 'c', model: 'm', owner: 'o', tags: [] });

describe('AssetCache', () => {
  test('evicts the oldest write when full, a re-written device counting as written last', () => {
    // Prepare
    const cache = new AssetCache({ ttlMs: 60_000, negativeTtlMs: 60_000, maxEntries: 2, now: () => 0 });
    cache.set('d1', asset('d1'));
    cache.set('d2', asset('d2'));

    // Act: d1 written again, then a third device
    cache.set('d1', asset('d1-new'));
    cache.set('d3', asset('d3'));

    // Assess
    expect(cache.size).toBe(2);
    expect(cache.get('d2')).toBeUndefined();
    expect(cache.get('d1')).toEqual(asset('d1-new'));
    expect(cache.get('d3')).toEqual(asset('d3'));
  });

  test('answers until the TTL of each entry (negative ones with their own), then keeps the stale asset', () => {
    // Prepare
    let now = 0;
    const cache = new AssetCache({ ttlMs: 100, negativeTtlMs: 10, maxEntries: 10, now: () => now });

    // Act
    cache.set('known', asset('known'));
    cache.set('unknown', null);
    now = 10;
    const at10 = { known: cache.get('known'), unknown: cache.get('unknown') };
    now = 100;

    // Assess
    expect(at10).toEqual({ known: asset('known'), unknown: undefined });
    expect(cache.get('known')).toBeUndefined();
    expect(cache.stale('known')).toEqual(asset('known'));
    expect(cache.stale('unknown')).toBeUndefined();
  });
});
