import { FleetstreamError } from '@fleetstream/stream';

/**
 * Errors of the SQL source. Every code is listed in the README ("Errors").
 */
export const SqlSourceErrorCodes = [
  /** The database could not be reached or a poll query failed (retried with backoff). */
  'SQL_SOURCE_UNAVAILABLE',
  /** The stored checkpoint was written by another mode (e.g. timestamp) than the configured one. */
  'SQL_SOURCE_POSITION_MODE_MISMATCH',
  /** A checkpoint record could not be parsed. */
  'SQL_SOURCE_INVALID_CHECKPOINT',
  /** A configured table or column name is not a plain (optionally schema-qualified) identifier. */
  'SQL_SOURCE_INVALID_IDENTIFIER',
  /** Writing a batch and its position to Kafka failed (the transaction is aborted; retried). */
  'SQL_SOURCE_EMIT_FAILED',
] as const;

export type SqlSourceErrorCode = (typeof SqlSourceErrorCodes)[number];

/** The errors of the SQL source (the base is libs/stream's): a stable `code`, whether a retry may help, and the cause. */
export class SqlSourceError extends FleetstreamError<SqlSourceErrorCode> {}
