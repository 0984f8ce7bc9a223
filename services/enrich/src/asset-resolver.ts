import type { AssetLookup } from './asset-client.ts';
import type { AssetCache } from './asset-cache.ts';
import type { Asset } from './event.ts';

/** Starts the remote lookup the resolver wraps (the asset API client in the service, a fake in unit tests). */
export type FetchAsset = (deviceId: string) => AssetLookup;

/** One remote call and the callers waiting for it. */
interface InFlight {
  readonly deviceId: string;
  readonly lookup: AssetLookup;
  readonly waiters: Set<Waiter>;
}

/** One caller of `resolve` waiting for a call. */
interface Waiter {
  readonly call: InFlight;
  readonly group: SignalGroup;
  readonly resolve: (asset: Asset | null) => void;
  readonly reject: (err: unknown) => void;
}

/** The waiters that share one caller signal, behind a single abort listener. */
interface SignalGroup {
  readonly signal: AbortSignal;
  readonly waiters: Set<Waiter>;
  readonly onAbort: () => void;
}

/**
 * Cache + request coalescing in front of the asset API: a fresh cache entry answers at once;
 * concurrent requests for one device share one call (a Map key -> in-flight call); answers,
 * 404s included, go to the cache. The shared call is aborted only when every waiter gave up.
 *
 * A caller's signal is usually shared by many items (the async operator gives one signal per
 * batch), so waiters are grouped per signal behind one abort listener: an EventTarget walks its
 * whole listener list on every add and remove, which a listener per waiter would pay per call.
 */
export class AssetResolver {
  readonly #fetch: FetchAsset;
  readonly #cache: AssetCache;
  readonly #inFlight = new Map<string, InFlight>();
  readonly #groups = new WeakMap<AbortSignal, SignalGroup>();
  readonly #onRemoteCall: () => void;
  readonly #onRemoteCallEnd: (ms: number) => void;
  readonly #onCoalesced: () => void;

  constructor(options: {
    fetch: FetchAsset;
    cache: AssetCache;
    onRemoteCall?: () => void;
    /** A call ended (answered, failed, or aborted when nobody waited any more) after `ms`. */
    onRemoteCallEnd?: (ms: number) => void;
    onCoalesced?: () => void;
  }) {
    this.#fetch = options.fetch;
    this.#cache = options.cache;
    this.#onRemoteCall = options.onRemoteCall ?? (() => undefined);
    this.#onRemoteCallEnd = options.onRemoteCallEnd ?? (() => undefined);
    this.#onCoalesced = options.onCoalesced ?? (() => undefined);
  }

  resolve(deviceId: string, signal: AbortSignal): Promise<Asset | null> {
    const cached = this.#cache.get(deviceId);
    if (cached !== undefined) return Promise.resolve(cached);
    if (signal.aborted) return Promise.reject(signal.reason);
    let call = this.#inFlight.get(deviceId);
    if (call) {
      this.#onCoalesced();
    } else {
      call = this.#start(deviceId);
    }
    const shared = call;
    return new Promise<Asset | null>((resolve, reject) => {
      const group = this.#group(signal);
      const waiter: Waiter = { call: shared, group, resolve, reject };
      shared.waiters.add(waiter);
      group.waiters.add(waiter);
    });
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  #start(deviceId: string): InFlight {
    const started = performance.now();
    const call: InFlight = { deviceId, lookup: this.#fetch(deviceId), waiters: new Set() };
    this.#inFlight.set(deviceId, call);
    this.#onRemoteCall();
    call.lookup.result.then(
      (asset) => {
        this.#onRemoteCallEnd(performance.now() - started);
        this.#forget(call);
        this.#cache.set(deviceId, asset);
        for (const w of call.waiters) {
          this.#leave(w);
          w.resolve(asset);
        }
        call.waiters.clear();
      },
      (err: unknown) => {
        this.#onRemoteCallEnd(performance.now() - started);
        this.#forget(call);
        for (const w of call.waiters) {
          this.#leave(w);
          w.reject(err);
        }
        call.waiters.clear();
      },
    );
    return call;
  }

  #forget(call: InFlight): void {
    if (this.#inFlight.get(call.deviceId) === call) this.#inFlight.delete(call.deviceId);
  }

  #group(signal: AbortSignal): SignalGroup {
    let group = this.#groups.get(signal);
    if (group === undefined) {
      const waiters = new Set<Waiter>();
      const onAbort = () => this.#abortGroup(signal, waiters);
      group = { signal, waiters, onAbort };
      this.#groups.set(signal, group);
      signal.addEventListener('abort', onAbort, { once: true });
    }
    return group;
  }

  /** A waiter is done (its call settled): it leaves its signal's group, the last one removes the listener. */
  #leave(w: Waiter): void {
    const group = w.group;
    group.waiters.delete(w);
    if (group.waiters.size === 0) {
      group.signal.removeEventListener('abort', group.onAbort);
      this.#groups.delete(group.signal);
    }
  }

  /** A signal aborted: its waiters give up (rejected with its reason); calls nobody waits for are aborted. */
  #abortGroup(signal: AbortSignal, waiters: Set<Waiter>): void {
    this.#groups.delete(signal);
    const reason: unknown = signal.reason;
    for (const w of waiters) {
      const call = w.call;
      call.waiters.delete(w);
      if (call.waiters.size === 0) {
        // Nobody waits any more: later callers of this device start a fresh call.
        this.#forget(call);
        call.lookup.abort(reason);
      }
      w.reject(reason);
    }
    waiters.clear();
  }
}
