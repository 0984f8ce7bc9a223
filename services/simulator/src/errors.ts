import { FleetstreamError } from '@fleetstream/stream';

/**
 * Errors of the simulator. Codes `as const`; `retryable` says whether the device tries again
 * (reconnect and resend the same packet).
 */
export const SimulatorErrorCodes = [
  /** No ack (or login answer) within the timeout: reconnect and resend. */
  'SIMULATOR_ACK_TIMEOUT',
  /** The connection failed or could not be opened: reconnect and resend. */
  'SIMULATOR_CONNECTION_FAILED',
  /** The gateway closed the connection: reconnect and resend. */
  'SIMULATOR_CONNECTION_CLOSED',
  /** The gateway answered the IMEI login with 0x00: the device stops. */
  'SIMULATOR_LOGIN_REJECTED',
  /** The gateway acked a different record count than the packet carried. */
  'SIMULATOR_BAD_ACK',
  /** HTTP ingest answered with a status that retrying cannot fix (400, 401, 403, 413). */
  'SIMULATOR_HTTP_REJECTED',
  /** HTTP ingest answered 5xx or the request failed: resend. */
  'SIMULATOR_HTTP_UNAVAILABLE',
  /** Command line or options are invalid. */
  'SIMULATOR_BAD_OPTIONS',
] as const;

export type SimulatorErrorCode = (typeof SimulatorErrorCodes)[number];

const RETRYABLE: ReadonlySet<SimulatorErrorCode> = new Set(['SIMULATOR_ACK_TIMEOUT', 'SIMULATOR_CONNECTION_FAILED', 'SIMULATOR_CONNECTION_CLOSED', 'SIMULATOR_HTTP_UNAVAILABLE', 'SIMULATOR_BAD_ACK']);

/** The errors of the simulator (the base is libs/stream's); `retryable` follows the code. */
export class SimulatorError extends FleetstreamError<SimulatorErrorCode> {
  constructor(code: SimulatorErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(code, message, { cause: options.cause, retryable: RETRYABLE.has(code) });
  }
}
