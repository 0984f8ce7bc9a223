import { FleetstreamError } from '@fleetstream/stream';

/**
 * Every error services/enrich raises. `retryable` says whether calling again may succeed (the async
 * operator retries only those); the DLQ reason and metric label is the code.
 */
export const EnrichErrorCodes = [
  /** The asset API answered a status other than 200 or 404 (5xx and 429 are retryable). */
  'ENRICH_ASSET_API_STATUS',
  /** The asset API could not be reached or did not answer in time (connect, headers, body). */
  'ENRICH_ASSET_API_UNREACHABLE',
  /** The asset API answered 200 with a body that is not an asset (an object with an assetId). */
  'ENRICH_ASSET_API_BAD_RESPONSE',
  /** Enrichment failed for good (after retries, or at the deadline) under ENRICH_FAILURE_POLICY=dlq. */
  'ENRICH_FAILED',
  /** The deadline passed before enrichment finished, under ENRICH_FAILURE_POLICY=dlq. */
  'ENRICH_TIMEOUT',
] as const;

export type EnrichErrorCode = (typeof EnrichErrorCodes)[number];

/** The errors of services/enrich (the base is libs/stream's). */
export class EnrichError extends FleetstreamError<EnrichErrorCode> {}
