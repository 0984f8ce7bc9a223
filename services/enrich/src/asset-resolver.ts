import type { AssetCache } from './asset-cache.ts';
import type { Asset } from './event.ts';

/** The remote lookup the resolver wraps (the asset API client in the service, a fake in unit tests). */
export type FetchAsset = (deviceId: string, signal: AbortSignal) => Promise<Asset | null>;

interface InFlight {
  promise: Promise<Asset | null>;
  controller: AbortController;
  waiters: number;
}

/**
 * Cache + request coalescing in front of the asset API: a fresh cache entry answers at once;
 * concurrent requests for one device share one call (a Map key -> in-flight promise); answers,
 * 404s included, go to the cache. The shared call is aborted only when every waiter gave up.
 */
export class AssetResolver {
  readonly #fetch: FetchAsset;
  readonly #cache: AssetCache;
  readonly #inFlight = new Map<string, InFlight>();
  readonly #onRemoteCall: () => void;
  readonly #onCoalesced: () => void;

  constructor(options: { fetch: FetchAsset; cache: AssetCache; onRemoteCall?: () => void; onCoalesced?: () => void }) {
    this.#fetch = options.fetch;
    this.#cache = options.cache;
    this.#onRemoteCall = options.onRemoteCall ?? (() => undefined);
    this.#onCoalesced = options.onCoalesced ?? (() => undefined);
  }

  resolve(deviceId: string, signal: AbortSignal): Promise<Asset | null> {
    const cached = this.#cache.get(deviceId);
    if (cached !== undefined) return Promise.resolve(cached);
    let f = this.#inFlight.get(deviceId);
    if (f) {
      this.#onCoalesced();
    } else {
      const controller = new AbortController();
      this.#onRemoteCall();
      const promise = this.#fetch(deviceId, controller.signal).then(
        (asset) => {
          this.#inFlight.delete(deviceId);
          this.#cache.set(deviceId, asset);
          return asset;
        },
        (err: unknown) => {
          this.#inFlight.delete(deviceId);
          throw err;
        },
      );
      f = { promise, controller, waiters: 0 };
      this.#inFlight.set(deviceId, f);
    }
    return this.#wait(f, signal);
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  #wait(f: InFlight, signal: AbortSignal): Promise<Asset | null> {
    if (signal.aborted) return Promise.reject(signal.reason);
    f.waiters++;
    return new Promise<Asset | null>((resolve, reject) => {
      let settled = false;
      const onAbort = () => {
        if (settled) return;
        settled = true;
        if (--f.waiters === 0) f.controller.abort(signal.reason);
        reject(signal.reason);
      };
      const done = (fn: () => void) => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        f.waiters--;
        fn();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      f.promise.then(
        (v) => done(() => resolve(v)),
        (err: unknown) => done(() => reject(err)),
      );
    });
  }
}
