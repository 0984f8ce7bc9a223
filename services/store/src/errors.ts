/**
 * Every error services/store raises besides libs/stream's (InvalidRecordError for bad events).
 * Codes are listed in the README of the store.
 */
export const StoreErrorCodes = [
  'TOPOLOGY_INVALID',
  'MIGRATION_CHANGED',
  'MIGRATION_FAILED',
  'DELETE_NOT_ALLOWED',
  'QUERY_INVALID',
] as const;

export type StoreErrorCode = (typeof StoreErrorCodes)[number];

/** Base error of the store and the topology tool. */
export class StoreError extends Error {
  readonly code: StoreErrorCode;
  readonly retryable: boolean;
  readonly details: Record<string, unknown>;
  constructor(code: StoreErrorCode, message: string, options: { retryable?: boolean; cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, { cause: options.cause });
    this.name = 'StoreError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = options.details ?? {};
  }
}
