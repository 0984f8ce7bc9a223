/**
 * Every error services/enrich raises. `retryable` says whether calling again may succeed (the async
 * operator retries only those); the DLQ reason and metric label is the code.
 */
export const EnrichErrorCodes = [
  /** The asset API answered a status other than 200 or 404 (5xx and 429 are retryable). */
  'ASSET_API_STATUS',
  /** The asset API could not be reached or did not answer in time (connect, headers, body). */
  'ASSET_API_UNREACHABLE',
  /** The asset API answered 200 with a body that is not an asset (an object with an assetId). */
  'ASSET_API_BAD_RESPONSE',
  /** Enrichment failed for good (after retries, or at the deadline) under ENRICH_FAILURE_POLICY=dlq. */
  'ENRICH_FAILED',
  /** The deadline passed before enrichment finished, under ENRICH_FAILURE_POLICY=dlq. */
  'ENRICH_TIMEOUT',
] as const;

export type EnrichErrorCode = (typeof EnrichErrorCodes)[number];

/** The base error of services/enrich. */
export class EnrichError extends Error {
  readonly code: EnrichErrorCode;
  readonly retryable: boolean;
  readonly details: Record<string, unknown>;
  constructor(code: EnrichErrorCode, message: string, options: { retryable?: boolean; cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, { cause: options.cause });
    this.name = 'EnrichError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = options.details ?? {};
  }
}
