import type { AssetLookup } from './asset-client.ts';
import type { AssetCache } from './asset-cache.ts';
import type { Asset } from './event.ts';

/** Starts the remote lookup the resolver wraps (the asset API client in the service, a fake in unit tests). */
export type FetchAsset = (deviceId: string) => AssetLookup;

/** One remote call and the callers waiting for it. */
interface InFlight<T> {
  readonly deviceId: string;
  readonly lookup: AssetLookup;
  /** Usually one: a call is shared only by concurrent lookups of its device. */
  readonly waiters: Waiter<T>[];
}

/** One caller of `resolve` waiting for a call; a node of its signal group's list. */
interface Waiter<T> {
  readonly call: InFlight<T>;
  readonly group: SignalGroup<T>;
  readonly resolve: (answer: T) => void;
  readonly reject: (err: unknown) => void;
  prev: Waiter<T> | undefined;
  next: Waiter<T> | undefined;
}

/** The waiters that share one caller signal, behind a single abort listener. */
interface SignalGroup<T> {
  readonly signal: AbortSignal;
  readonly onAbort: () => void;
  /** A doubly linked list of its waiters: O(1) join and leave without hashing. */
  head: Waiter<T> | undefined;
}

/**
 * Cache + request coalescing in front of the asset API: a fresh cache entry answers at once;
 * concurrent requests for one device share one call (a Map key -> in-flight call); answers,
 * 404s included, go to the cache. The shared call is aborted only when every waiter gave up.
 *
 * A caller's signal is usually shared by many items (the async operator gives one signal per
 * batch), so waiters are grouped per signal behind one abort listener: an EventTarget walks its
 * whole listener list on every add and remove, which a listener per waiter would pay per call.
 *
 * `answer` turns an asset (or `null` for a 404) into what callers get, once per call or cache hit
 * and shared by its waiters (the service: the enrichment; by default the asset itself), so the
 * caller needs no promise of its own to map it.
 */
export class AssetResolver<T = Asset | null> {
  readonly #fetch: FetchAsset;
  readonly #cache: AssetCache;
  readonly #answer: (asset: Asset | null) => T;
  readonly #inFlight = new Map<string, InFlight<T>>();
  readonly #groups = new WeakMap<AbortSignal, SignalGroup<T>>();
  /** The last group joined: consecutive callers almost always share it (one signal per batch). */
  #lastGroup: SignalGroup<T> | undefined;
  readonly #onRemoteCall: () => void;
  readonly #onRemoteCallEnd: (ms: number) => void;
  readonly #onCoalesced: () => void;

  constructor(options: {
    fetch: FetchAsset;
    cache: AssetCache;
    answer?: (asset: Asset | null) => T;
    onRemoteCall?: () => void;
    /** A call ended (answered, failed, or aborted when nobody waited any more) after `ms`. */
    onRemoteCallEnd?: (ms: number) => void;
    onCoalesced?: () => void;
  }) {
    this.#fetch = options.fetch;
    this.#cache = options.cache;
    this.#answer = options.answer ?? ((asset) => asset as T);
    this.#onRemoteCall = options.onRemoteCall ?? (() => undefined);
    this.#onRemoteCallEnd = options.onRemoteCallEnd ?? (() => undefined);
    this.#onCoalesced = options.onCoalesced ?? (() => undefined);
  }

  resolve(deviceId: string, signal: AbortSignal): Promise<T> {
    const cached = this.#cache.get(deviceId);
    if (cached !== undefined) return Promise.resolve(this.#answer(cached));
    if (signal.aborted) return Promise.reject(signal.reason);
    let call = this.#inFlight.get(deviceId);
    if (call) {
      this.#onCoalesced();
    } else {
      call = this.#start(deviceId);
    }
    const shared = call;
    return new Promise<T>((resolve, reject) => {
      const group = this.#group(signal);
      const head = group.head;
      const waiter: Waiter<T> = { call: shared, group, resolve, reject, prev: undefined, next: head };
      if (head !== undefined) head.prev = waiter;
      group.head = waiter;
      shared.waiters.push(waiter);
    });
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  #start(deviceId: string): InFlight<T> {
    const started = performance.now();
    const call: InFlight<T> = { deviceId, lookup: this.#fetch(deviceId), waiters: [] };
    this.#inFlight.set(deviceId, call);
    this.#onRemoteCall();
    call.lookup.result.then(
      (asset) => {
        this.#onRemoteCallEnd(performance.now() - started);
        this.#forget(call);
        this.#cache.set(deviceId, asset);
        const waiters = call.waiters;
        if (waiters.length === 0) return;
        const answer = this.#answer(asset);
        for (const w of waiters) {
          this.#leave(w);
          w.resolve(answer);
        }
        waiters.length = 0;
      },
      (err: unknown) => {
        this.#onRemoteCallEnd(performance.now() - started);
        this.#forget(call);
        const waiters = call.waiters;
        for (const w of waiters) {
          this.#leave(w);
          w.reject(err);
        }
        waiters.length = 0;
      },
    );
    return call;
  }

  #forget(call: InFlight<T>): void {
    if (this.#inFlight.get(call.deviceId) === call) this.#inFlight.delete(call.deviceId);
  }

  #group(signal: AbortSignal): SignalGroup<T> {
    const last = this.#lastGroup;
    if (last !== undefined && last.signal === signal && last.head !== undefined) return last;
    let group = this.#groups.get(signal);
    if (group === undefined) {
      const created: SignalGroup<T> = { signal, onAbort: () => this.#abortGroup(created), head: undefined };
      group = created;
      this.#groups.set(signal, group);
      signal.addEventListener('abort', group.onAbort, { once: true });
    }
    this.#lastGroup = group;
    return group;
  }

  /** A waiter is done (its call settled): it leaves its signal's group, the last one removes the listener. */
  #leave(w: Waiter<T>): void {
    const group = w.group;
    const { prev, next } = w;
    if (prev !== undefined) prev.next = next;
    else group.head = next;
    if (next !== undefined) next.prev = prev;
    w.prev = undefined;
    w.next = undefined;
    if (group.head === undefined) {
      group.signal.removeEventListener('abort', group.onAbort);
      this.#groups.delete(group.signal);
      if (this.#lastGroup === group) this.#lastGroup = undefined;
    }
  }

  /** A signal aborted: its waiters give up (rejected with its reason); calls nobody waits for are aborted. */
  #abortGroup(group: SignalGroup<T>): void {
    const signal = group.signal;
    this.#groups.delete(signal);
    if (this.#lastGroup === group) this.#lastGroup = undefined;
    const reason: unknown = signal.reason;
    let w = group.head;
    group.head = undefined;
    while (w !== undefined) {
      const next = w.next;
      w.prev = undefined;
      w.next = undefined;
      const call = w.call;
      const waiters = call.waiters;
      const at = waiters.indexOf(w);
      if (at >= 0) waiters.splice(at, 1);
      if (waiters.length === 0) {
        // Nobody waits any more: later callers of this device start a fresh call.
        this.#forget(call);
        call.lookup.abort(reason);
      }
      w.reject(reason);
      w = next;
    }
  }
}
