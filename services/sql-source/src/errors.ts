/**
 * Errors of the SQL source. Every code is listed in the README ("Errors").
 */
export const SqlSourceErrorCodes = {
  /** The database could not be reached or a poll query failed (retried with backoff). */
  SOURCE_UNAVAILABLE: 'SOURCE_UNAVAILABLE',
  /** The stored checkpoint was written by another mode (e.g. timestamp) than the configured one. */
  POSITION_MODE_MISMATCH: 'POSITION_MODE_MISMATCH',
  /** A checkpoint record could not be parsed. */
  INVALID_CHECKPOINT: 'INVALID_CHECKPOINT',
  /** A configured table or column name is not a plain (optionally schema-qualified) identifier. */
  INVALID_IDENTIFIER: 'INVALID_IDENTIFIER',
  /** Writing a batch and its position to Kafka failed (the transaction is aborted; retried). */
  EMIT_FAILED: 'EMIT_FAILED',
} as const;

export type SqlSourceErrorCode = (typeof SqlSourceErrorCodes)[keyof typeof SqlSourceErrorCodes];

/** The base error of the SQL source: a stable `code`, whether a retry may help, and the cause. */
export class SqlSourceError extends Error {
  readonly code: SqlSourceErrorCode;
  readonly retryable: boolean;
  readonly details: Record<string, unknown>;
  constructor(code: SqlSourceErrorCode, message: string, options: { retryable?: boolean; cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, { cause: options.cause });
    this.name = 'SqlSourceError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = options.details ?? {};
  }
}
