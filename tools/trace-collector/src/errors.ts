import { FleetstreamError } from '@fleetstream/stream/errors';

/** Every error code of the trace collector (README, "Error codes"). */
export const TraceCollectorErrorCodes = [
  /** A variable of the environment breaks its rule (the message names it). */
  'TRACE_COLLECTOR_CONFIG_INVALID',
  /** A POST /v1/traces body that does not decode as an OTLP trace request (answered 400). */
  'TRACE_COLLECTOR_BAD_PAYLOAD',
] as const;

export type TraceCollectorErrorCode = (typeof TraceCollectorErrorCodes)[number];

/** The collector's errors: never retryable (a bad body stays bad, a bad variable too). */
export class CollectorError extends FleetstreamError<TraceCollectorErrorCode> {
  constructor(code: TraceCollectorErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(code, message, { ...options, retryable: false });
  }
}
