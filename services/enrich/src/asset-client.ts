import { Pool, type Dispatcher } from 'undici';
import { EnrichError } from './errors.ts';
import { toAsset, type Asset } from './event.ts';

/** Options of {@link AssetApiClient}. */
export interface AssetApiClientOptions {
  /** Base URL, e.g. http://asset-api:8090 (a path prefix is kept). */
  url: string;
  connections: number;
  connectTimeoutMs: number;
  /** Headers and body timeout of one call. */
  readTimeoutMs: number;
}

const HEADERS: Readonly<Record<string, string>> = Object.freeze({ accept: 'application/json' });

/** One asset API call in flight: its answer, and how to give up on it. */
export interface AssetLookup {
  /** The asset, `null` for a 404, or the call's {@link EnrichError} (or the abort reason). */
  readonly result: Promise<Asset | null>;
  /** Rejects `result` with `reason` at once (if not settled yet) and cancels the HTTP request. */
  abort(reason: unknown): void;
}

/**
 * GET {url}/assets/{deviceId} over an undici keep-alive pool (one connection per call in flight,
 * no pipelining). 200 -> the asset, 404 -> null, 5xx / 429 / network errors -> a retryable
 * {@link EnrichError}, other statuses -> not retryable; an aborted call rejects with its reason.
 *
 * Calls go through `pool.dispatch` with a small handler rather than `pool.request`: the answer is
 * a few hundred bytes read whole, so request()'s per-call Readable body stream, AsyncResource and
 * abort plumbing were a third of this client's CPU per call (see bench/README.md).
 */
export class AssetApiClient {
  readonly #pool: Pool;
  readonly #prefix: string;

  constructor(options: AssetApiClientOptions) {
    const url = new URL(options.url);
    this.#prefix = url.pathname.replace(/\/+$/, '');
    this.#pool = new Pool(url.origin, {
      connections: options.connections,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      connectTimeout: options.connectTimeoutMs,
      headersTimeout: options.readTimeoutMs,
      bodyTimeout: options.readTimeoutMs,
    });
  }

  /**
   * Starts a call; the handle aborts it. A handle rather than an AbortSignal: the resolver aborts a
   * call only when every waiter gave up, and an AbortController + listener per call (EventTarget's
   * add and remove) cost ~0.02 of the Little's-law bench.
   */
  lookup(deviceId: string): AssetLookup {
    const call = new AssetCall();
    try {
      this.#pool.dispatch({ method: 'GET', path: `${this.#prefix}/assets/${encodeURIComponent(deviceId)}`, headers: HEADERS }, call);
    } catch (err) {
      call.onResponseError(null, err as Error);
    }
    return call;
  }

  close(): Promise<void> {
    return this.#pool.close();
  }
}

/** One call: its undici handler (keeps the status, collects the body) and its handle, settled once. */
class AssetCall implements Dispatcher.DispatchHandler, AssetLookup {
  readonly result: Promise<Asset | null>;
  #resolve!: (asset: Asset | null) => void;
  #reject!: (err: unknown) => void;
  #controller: Dispatcher.DispatchController | null = null;
  #done = false;
  /** Aborted by the caller: undici's error for the cancelled request is not reported again. */
  #aborted = false;
  #status = 0;
  #chunks: Buffer[] = [];

  constructor() {
    this.result = new Promise<Asset | null>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  abort(reason: unknown): void {
    if (this.#done) return;
    this.#aborted = true;
    this.#settle();
    this.#reject(reason);
    // Not started yet (queued in the pool): onRequestStart aborts it when it starts.
    this.#controller?.abort(reason instanceof Error ? reason : new Error(String(reason)));
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    if (this.#done) {
      controller.abort(new Error('asset API call aborted before it started'));
      return;
    }
    this.#controller = controller;
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number): void {
    this.#status = statusCode;
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    // Only a 200's body is read; other answers are drained by undici and dropped here.
    if (this.#status === 200) this.#chunks.push(chunk);
  }

  onResponseEnd(): void {
    const status = this.#status;
    if (status === 200) {
      const chunks = this.#chunks;
      this.#chunks = [];
      let body: unknown;
      try {
        body = JSON.parse((chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)).toString('utf8'));
      } catch (err) {
        this.#fail(new EnrichError('ENRICH_ASSET_API_UNREACHABLE', `asset API body failed: ${(err as Error).message}`, { retryable: true, cause: err }));
        return;
      }
      const asset = toAsset(body);
      if (!asset) {
        this.#fail(new EnrichError('ENRICH_ASSET_API_BAD_RESPONSE', 'asset API answered 200 with a body that is not an asset (an object with assetId)'));
        return;
      }
      if (this.#settle()) this.#resolve(asset);
      return;
    }
    if (status === 404) {
      if (this.#settle()) this.#resolve(null);
      return;
    }
    this.#fail(new EnrichError('ENRICH_ASSET_API_STATUS', `asset API answered ${status}`, { retryable: status >= 500 || status === 429, details: { status } }));
  }

  onResponseError(_controller: Dispatcher.DispatchController | null, err: Error): void {
    if (this.#aborted) return; // already rejected with the abort's reason
    const what = this.#status === 0 ? 'call' : 'body';
    this.#fail(new EnrichError('ENRICH_ASSET_API_UNREACHABLE', `asset API ${what} failed: ${err.message}`, { retryable: true, cause: err }));
  }

  #fail(err: EnrichError): void {
    if (this.#settle()) this.#reject(err);
  }

  /** True the first time only: the caller then resolves or rejects. */
  #settle(): boolean {
    if (this.#done) return false;
    this.#done = true;
    return true;
  }
}
