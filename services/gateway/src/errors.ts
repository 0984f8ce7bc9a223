/**
 * Errors of the gateway. Every one has a `code` from {@link GATEWAY_ERROR_CODES}, `retryable`
 * and an optional `cause`. The service README section lists every code.
 */
export const GATEWAY_ERROR_CODES = [
  /** Kafka is not connected or a produce failed: nothing was acknowledged; the device resends. */
  'KAFKA_UNAVAILABLE',
  /** The gateway is stopping and takes no new packets. */
  'SHUTTING_DOWN',
] as const;

export type GatewayErrorCode = (typeof GATEWAY_ERROR_CODES)[number];

export class GatewayError extends Error {
  readonly code: GatewayErrorCode;
  readonly retryable: boolean;
  constructor(code: GatewayErrorCode, message: string, options: { retryable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.retryable = options.retryable ?? true;
  }
}
