import { FleetstreamError, type FleetstreamErrorOptions } from '@fleetstream/stream';

/**
 * Errors of the gateway. Every one has a `code` from {@link GatewayErrorCodes}, `retryable`
 * and an optional `cause`. The service README section lists every code.
 */
export const GatewayErrorCodes = [
  /** Kafka is not connected or a produce failed: nothing was acknowledged; the device resends. */
  'GATEWAY_KAFKA_UNAVAILABLE',
  /** The gateway is stopping and takes no new packets. */
  'GATEWAY_SHUTTING_DOWN',
] as const;

export type GatewayErrorCode = (typeof GatewayErrorCodes)[number];

/** The errors of the gateway (the base is libs/stream's); retryable unless said otherwise: the device resends. */
export class GatewayError extends FleetstreamError<GatewayErrorCode> {
  constructor(code: GatewayErrorCode, message: string, options: FleetstreamErrorOptions = {}) {
    super(code, message, { ...options, retryable: options.retryable ?? true });
  }
}
