import { FleetstreamError } from '@fleetstream/stream/errors';

/**
 * The one error type of @fleetstream/telemetry. Every decode, encode and validation failure is a
 * TelemetryError with a `code` from {@link TelemetryErrorCodes}; nothing in this package throws
 * anything else on bad input. None of them is retryable: the same bytes fail the same way again.
 * README.md lists every code (a test checks it).
 */

/** Every error code, in the order of the README table. */
export const TelemetryErrorCodes = [
  'TELEMETRY_BAD_PREAMBLE',
  'TELEMETRY_LENGTH_MISMATCH',
  'TELEMETRY_COUNT_MISMATCH',
  'TELEMETRY_CRC_MISMATCH',
  'TELEMETRY_UNKNOWN_CODEC',
  'TELEMETRY_TRUNCATED',
  'TELEMETRY_PACKET_TOO_LARGE',
  'TELEMETRY_BAD_TIMESTAMP',
  'TELEMETRY_BAD_IMEI',
  'TELEMETRY_BAD_HEX',
  'TELEMETRY_INVALID_RECORD',
  'TELEMETRY_OUT_OF_RANGE',
  'TELEMETRY_SCHEMA_INVALID',
  'TELEMETRY_UNSUPPORTED_SCHEMA_VERSION',
] as const;

export type TelemetryErrorCode = (typeof TelemetryErrorCodes)[number];

/** One line per code: what it means. The README carries the same table. */
export const TELEMETRY_ERROR_DESCRIPTIONS: Readonly<Record<TelemetryErrorCode, string>> =
  Object.freeze({
    TELEMETRY_BAD_PREAMBLE: 'A TCP AVL packet does not start with four zero bytes.',
    TELEMETRY_LENGTH_MISMATCH:
      'A declared length disagrees with the bytes present (trailing bytes, or records that end early).',
    TELEMETRY_COUNT_MISMATCH:
      'Number of Data 1 and 2 differ, or an I/O total differs from the sum of the group counts.',
    TELEMETRY_CRC_MISMATCH:
      'The CRC-16/IBM in the packet differs from the one computed over codec id .. record count 2.',
    TELEMETRY_UNKNOWN_CODEC: 'The codec id is not an AVL data codec this package decodes (0x08, 0x8E, 0x10).',
    TELEMETRY_TRUNCATED: 'The bytes end before the packet, a record or a field does.',
    TELEMETRY_PACKET_TOO_LARGE: 'A declared packet length exceeds the configured maximum packet size.',
    TELEMETRY_BAD_TIMESTAMP: 'A record timestamp does not fit a safe integer of milliseconds.',
    TELEMETRY_BAD_IMEI: 'An IMEI is empty, longer than 20 characters, or not ASCII digits.',
    TELEMETRY_BAD_HEX:
      'Text given as hex has an odd number of digits or a character that is not a hex digit (offset = character).',
    TELEMETRY_INVALID_RECORD: 'A record given to an encoder has a field that does not fit its wire width.',
    TELEMETRY_OUT_OF_RANGE:
      'A decoded value is impossible for an event (latitude outside -90..90, longitude outside -180..180, heading above 360).',
    TELEMETRY_SCHEMA_INVALID:
      'A serialized event or ingest body does not match its schema (or a device id is not valid).',
    TELEMETRY_UNSUPPORTED_SCHEMA_VERSION:
      'A serialized event carries a schema version the consumer does not accept.',
  });

export interface TelemetryErrorOptions {
  /** Byte offset in the input where decoding failed (character offset for TELEMETRY_BAD_HEX). */
  offset?: number;
  /** Structured facts for logs and DLQ headers (expected/actual values, record index, ...). */
  details?: Readonly<Record<string, unknown>>;
  cause?: unknown;
}

/**
 * A failed decode, encode or validation (the base is libs/stream's FleetstreamError).
 *
 * @example
 * try { decodeTcpPacket(bytes) } catch (err) {
 *   if (err instanceof TelemetryError && err.code === 'TELEMETRY_CRC_MISMATCH') ...
 * }
 */
export class TelemetryError extends FleetstreamError<TelemetryErrorCode> {
  /** Byte offset in the input where the problem was found, when it has one. */
  readonly offset: number | undefined;

  /** Never retryable: the same input fails the same way. */
  constructor(code: TelemetryErrorCode, message: string, options: TelemetryErrorOptions = {}) {
    super(code, message, { cause: options.cause, details: options.details === undefined ? undefined : { ...options.details } });
    this.offset = options.offset;
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
