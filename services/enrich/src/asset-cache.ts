import type { Asset } from './event.ts';

interface CacheEntry {
  asset: Asset | null;
  expiresAt: number;
}

/**
 * A TTL cache of asset API answers, negative ones (404: `null`) included with their own TTL.
 * Expired entries stay (until evicted by size, oldest write first) so that a failed call can still
 * fall back to stale data (status `partial`).
 */
export class AssetCache {
  readonly #entries = new Map<string, CacheEntry>();
  readonly #ttlMs: number;
  readonly #negativeTtlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: { ttlMs: number; negativeTtlMs: number; maxEntries: number; now?: () => number }) {
    this.#ttlMs = options.ttlMs;
    this.#negativeTtlMs = options.negativeTtlMs;
    this.#maxEntries = options.maxEntries;
    this.#now = options.now ?? Date.now;
  }

  /** A fresh entry: the asset, `null` for a cached 404, `undefined` for none (or expired). */
  get(deviceId: string): Asset | null | undefined {
    const e = this.#entries.get(deviceId);
    if (e === undefined || e.expiresAt <= this.#now()) return undefined;
    return e.asset;
  }

  /** The last known asset even if expired (never a negative entry). */
  stale(deviceId: string): Asset | undefined {
    return this.#entries.get(deviceId)?.asset ?? undefined;
  }

  set(deviceId: string, asset: Asset | null): void {
    const ttl = asset === null ? this.#negativeTtlMs : this.#ttlMs;
    if (ttl <= 0) return;
    const entries = this.#entries;
    const entry: CacheEntry = { asset, expiresAt: this.#now() + ttl };
    const size = entries.size;
    entries.set(deviceId, entry);
    if (entries.size === size) {
      // It replaced an entry in place: re-insert so Map order stays write order (eviction drops the
      // oldest write). Only then: a new device (the usual case) costs one Map operation, not three.
      entries.delete(deviceId);
      entries.set(deviceId, entry);
    }
    if (entries.size > this.#maxEntries) {
      const oldest = entries.keys().next().value;
      if (oldest !== undefined) entries.delete(oldest);
    }
  }

  get size(): number {
    return this.#entries.size;
  }
}
