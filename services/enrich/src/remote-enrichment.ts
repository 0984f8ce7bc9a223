import {
  AsyncOperator,
  isRetryable,
  type StreamMetrics,
} from '@fleetstream/stream';
import { AssetApiClient, type AssetLookup } from './asset-client.ts';
import type { EnrichConfig } from './config.ts';
import type { AssetCache } from './asset-cache.ts';
import { AssetResolver } from './asset-resolver.ts';
import type { EnrichMetrics } from './enrich-metrics.ts';
import { fallbackResolution } from './enrich-transform.ts';
import { enrichmentOf, type Enrichment } from './event.ts';

/** How the remote path runs: the async operator's settings and the failure policy. */
export interface RemoteEnrichmentOptions {
  /** Starts one asset API call (the service's `AssetApiClient.lookup`). */
  lookup: (deviceId: string) => AssetLookup;
  cache: AssetCache;
  metrics: EnrichMetrics;
  core: StreamMetrics;
  capacity: number;
  /** Deadline per event, counted from its arrival in the operator. */
  timeoutMs: number;
  retry: { attempts: number; baseMs: number; maxMs: number };
  /** 'emit': a failed or late lookup still yields an event (`partial`/`missing`); 'dlq': it fails. */
  failurePolicy: 'emit' | 'dlq';
}

/**
 * The remote path of enrich, as the service runs it and the bench measures it: the resolver (cache
 * and coalescing in front of the asset API) inside the async operator (capacity, deadline from
 * arrival, retries), its metrics hooks bound to their label values once (prom-client
 * hashes a labels object on every call otherwise, several times per remote call).
 */
export function createRemoteEnrichment(o: RemoteEnrichmentOptions): {
  resolver: AssetResolver<Enrichment>;
  operator: AsyncOperator<string, Enrichment>;
} {
  const { core, metrics } = o;
  const service = core.service;
  const stage = 'enrich-remote';
  const inflight = core.inflight.labels({ service, stage });
  const duration = core.stageDuration.labels({ service, stage });
  const timeouts = core.asyncTimeouts.labels({ service });
  const retries = core.asyncRetries.labels({ service });
  const coalesced = metrics.coalesced.labels({ service });
  const resolver = new AssetResolver<Enrichment>({
    fetch: o.lookup,
    cache: o.cache,
    // Mapped once per answer inside the resolver: no promise per call to map it here.
    answer: (asset) => enrichmentOf(asset, 'remote'),
    onRemoteCall: () => metrics.countRemoteCall(),
    onRemoteCallEnd: (ms) => metrics.countRemoteCallEnd(ms),
    onCoalesced: () => coalesced.inc(),
  });
  const operator = new AsyncOperator<string, Enrichment>({
    capacity: o.capacity,
    timeoutMs: o.timeoutMs,
    call: (id, signal) => resolver.resolve(id, signal),
    retry: { ...o.retry, isRetryable },
    fallback: o.failurePolicy === 'emit' ? (id) => fallbackResolution(o.cache, id) : undefined,
    hooks: {
      onTimeout: () => timeouts.inc(),
      onRetry: () => retries.inc(),
      onInflight: (n) => inflight.set(n),
      onDuration: (ms) => duration.observe(ms / 1000),
    },
  });
  return { resolver, operator };
}

/**
 * The remote path from the service's config: the asset API client (its connections and timeouts)
 * and {@link createRemoteEnrichment} with the ENRICH_* settings. Close the client on stop.
 */
export function remoteEnrichmentFromConfig(config: EnrichConfig, o: Pick<RemoteEnrichmentOptions, 'cache' | 'metrics' | 'core'>): { client: AssetApiClient; operator: AsyncOperator<string, Enrichment> } {
  const client = new AssetApiClient({
    url: config.ASSET_API_URL,
    connections: config.ASSET_API_CONNECTIONS,
    connectTimeoutMs: config.ASSET_API_CONNECT_TIMEOUT_MS,
    readTimeoutMs: config.ASSET_API_READ_TIMEOUT_MS,
  });
  const { operator } = createRemoteEnrichment({
    ...o,
    lookup: (id) => client.lookup(id),
    capacity: config.ENRICH_CAPACITY,
    timeoutMs: config.ENRICH_TIMEOUT_MS,
    retry: { attempts: config.ENRICH_RETRY_ATTEMPTS, baseMs: config.ENRICH_RETRY_BASE_MS, maxMs: config.ENRICH_RETRY_MAX_MS },
    failurePolicy: config.ENRICH_FAILURE_POLICY,
  });
  return { client, operator };
}
