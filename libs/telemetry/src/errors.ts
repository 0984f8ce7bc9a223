/**
 * The one error type of @fleetstream/telemetry. Every decode, encode and validation failure is a
 * TelemetryError with a `code` from {@link TELEMETRY_ERROR_CODES}; nothing in this package throws
 * anything else on bad input. None of them is retryable: the same bytes fail the same way again.
 * README.md lists every code (a test checks it).
 */

/** Every error code, in the order of the README table. */
export const TELEMETRY_ERROR_CODES = [
  'BAD_PREAMBLE',
  'LENGTH_MISMATCH',
  'COUNT_MISMATCH',
  'CRC_MISMATCH',
  'UNKNOWN_CODEC',
  'TRUNCATED',
  'PACKET_TOO_LARGE',
  'BAD_TIMESTAMP',
  'BAD_IMEI',
  'BAD_HEX',
  'INVALID_RECORD',
  'OUT_OF_RANGE',
  'SCHEMA_INVALID',
  'UNSUPPORTED_SCHEMA_VERSION',
] as const;

export type TelemetryErrorCode = (typeof TELEMETRY_ERROR_CODES)[number];

/** One line per code: what it means. The README carries the same table. */
export const TELEMETRY_ERROR_DESCRIPTIONS: Readonly<Record<TelemetryErrorCode, string>> =
  Object.freeze({
    BAD_PREAMBLE: 'A TCP AVL packet does not start with four zero bytes.',
    LENGTH_MISMATCH:
      'A declared length disagrees with the bytes present (trailing bytes, or records that end early).',
    COUNT_MISMATCH:
      'Number of Data 1 and 2 differ, or an I/O total differs from the sum of the group counts.',
    CRC_MISMATCH:
      'The CRC-16/IBM in the packet differs from the one computed over codec id .. record count 2.',
    UNKNOWN_CODEC: 'The codec id is not an AVL data codec this package decodes (0x08, 0x8E, 0x10).',
    TRUNCATED: 'The bytes end before the packet, a record or a field does.',
    PACKET_TOO_LARGE: 'A declared packet length exceeds the configured maximum packet size.',
    BAD_TIMESTAMP: 'A record timestamp does not fit a safe integer of milliseconds.',
    BAD_IMEI: 'An IMEI is empty, longer than 20 characters, or not ASCII digits.',
    BAD_HEX:
      'Text given as hex has an odd number of digits or a character that is not a hex digit (offset = character).',
    INVALID_RECORD: 'A record given to an encoder has a field that does not fit its wire width.',
    OUT_OF_RANGE:
      'A decoded value is impossible for an event (latitude outside -90..90, longitude outside -180..180, heading above 360).',
    SCHEMA_INVALID:
      'A serialized event or ingest body does not match its schema (or a device id is not valid).',
    UNSUPPORTED_SCHEMA_VERSION:
      'A serialized event carries a schema version the consumer does not accept.',
  });

export interface TelemetryErrorOptions {
  /** Byte offset in the input where decoding failed (character offset for BAD_HEX). */
  offset?: number;
  /** Structured facts for logs and DLQ headers (expected/actual values, record index, ...). */
  details?: Readonly<Record<string, unknown>>;
  cause?: unknown;
}

/**
 * A failed decode, encode or validation.
 *
 * @example
 * try { decodeTcpPacket(bytes) } catch (err) {
 *   if (err instanceof TelemetryError && err.code === 'CRC_MISMATCH') ...
 * }
 */
export class TelemetryError extends Error {
  readonly code: TelemetryErrorCode;
  /** Byte offset in the input where the problem was found, when it has one. */
  readonly offset: number | undefined;
  /** Always false: the same input fails the same way. */
  readonly retryable = false;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: TelemetryErrorCode, message: string, options: TelemetryErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TelemetryError';
    this.code = code;
    this.offset = options.offset;
    this.details = options.details;
  }
}

/** True for a TelemetryError (works across package copies by checking the shape). */
export function isTelemetryError(err: unknown): err is TelemetryError {
  return (
    err instanceof TelemetryError ||
    (err instanceof Error &&
      err.name === 'TelemetryError' &&
      typeof (err as { code?: unknown }).code === 'string')
  );
}

/** Whether retrying could help: false for every TelemetryError, and for anything without `retryable: true`. */
export function isRetryable(err: unknown): boolean {
  return (
    typeof err === 'object' && err !== null && (err as { retryable?: unknown }).retryable === true
  );
}
