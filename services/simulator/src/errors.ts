/**
 * Errors of the simulator. Codes `as const`; `retryable` says whether the device tries again
 * (reconnect and resend the same packet).
 */
export const SIMULATOR_ERROR_CODES = [
  /** No ack (or login answer) within the timeout: reconnect and resend. */
  'ACK_TIMEOUT',
  /** The connection failed or could not be opened: reconnect and resend. */
  'CONNECTION_FAILED',
  /** The gateway closed the connection: reconnect and resend. */
  'CONNECTION_CLOSED',
  /** The gateway answered the IMEI login with 0x00: the device stops. */
  'LOGIN_REJECTED',
  /** The gateway acked a different record count than the packet carried. */
  'BAD_ACK',
  /** HTTP ingest answered with a status that retrying cannot fix (400, 401, 403, 413). */
  'HTTP_REJECTED',
  /** HTTP ingest answered 5xx or the request failed: resend. */
  'HTTP_UNAVAILABLE',
  /** Command line or options are invalid. */
  'BAD_OPTIONS',
] as const;

export type SimulatorErrorCode = (typeof SIMULATOR_ERROR_CODES)[number];

const RETRYABLE: ReadonlySet<SimulatorErrorCode> = new Set(['ACK_TIMEOUT', 'CONNECTION_FAILED', 'CONNECTION_CLOSED', 'HTTP_UNAVAILABLE', 'BAD_ACK']);

export class SimulatorError extends Error {
  readonly code: SimulatorErrorCode;
  readonly retryable: boolean;
  constructor(code: SimulatorErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SimulatorError';
    this.code = code;
    this.retryable = RETRYABLE.has(code);
  }
}

/** Whether trying again may help (SimulatorError.retryable; false for anything else). */
export function isRetryable(err: unknown): boolean {
  return err instanceof SimulatorError && err.retryable;
}
