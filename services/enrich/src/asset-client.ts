import { Pool } from 'undici';
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

/**
 * GET {url}/assets/{deviceId} over an undici keep-alive pool. 200 -> the asset, 404 -> null,
 * 5xx / 429 / network errors -> a retryable {@link EnrichError}, other statuses -> not retryable.
 */
export class AssetApiClient {
  readonly #pool: Pool;
  readonly #prefix: string;
  readonly #readTimeoutMs: number;

  constructor(options: AssetApiClientOptions) {
    const url = new URL(options.url);
    this.#prefix = url.pathname.replace(/\/+$/, '');
    this.#readTimeoutMs = options.readTimeoutMs;
    this.#pool = new Pool(url.origin, {
      connections: options.connections,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      connectTimeout: options.connectTimeoutMs,
      headersTimeout: options.readTimeoutMs,
      bodyTimeout: options.readTimeoutMs,
    });
  }

  async fetchAsset(deviceId: string, signal?: AbortSignal): Promise<Asset | null> {
    let res;
    try {
      res = await this.#pool.request({
        method: 'GET',
        path: `${this.#prefix}/assets/${encodeURIComponent(deviceId)}`,
        headers: { accept: 'application/json' },
        signal,
        headersTimeout: this.#readTimeoutMs,
        bodyTimeout: this.#readTimeoutMs,
      });
    } catch (err) {
      if (signal?.aborted) throw signal.reason ?? err;
      throw new EnrichError('ASSET_API_UNREACHABLE', `asset API call failed: ${(err as Error).message}`, { retryable: true, cause: err });
    }
    const status = res.statusCode;
    if (status === 200) {
      let body: unknown;
      try {
        body = await res.body.json();
      } catch (err) {
        throw new EnrichError('ASSET_API_UNREACHABLE', `asset API body failed: ${(err as Error).message}`, { retryable: true, cause: err });
      }
      const asset = toAsset(body);
      if (!asset) throw new EnrichError('ASSET_API_BAD_RESPONSE', 'asset API answered 200 with a body that is not an asset (an object with assetId)');
      return asset;
    }
    await res.body.dump().catch(() => undefined);
    if (status === 404) return null;
    throw new EnrichError('ASSET_API_STATUS', `asset API answered ${status}`, { retryable: status >= 500 || status === 429, details: { status } });
  }

  close(): Promise<void> {
    return this.#pool.close();
  }
}
