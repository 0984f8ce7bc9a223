/**
 * Every error libs/stream raises. `retryable` says whether trying again may succeed;
 * `isRetryable(err)` answers for any error (ours, kafkajs', cassandra-driver's by name).
 */
export const StreamErrorCodes = [
  'CONFIG_INVALID',
  'KAFKA_UNAVAILABLE',
  'PRODUCE_FAILED',
  'COMMIT_FAILED',
  'ASYNC_TIMEOUT',
  'ASYNC_FAILED',
  'SINK_OVERLOADED',
  'SHUTDOWN_TIMEOUT',
  'INVALID_RECORD',
] as const;

export type StreamErrorCode = (typeof StreamErrorCodes)[number];

export class StreamError extends Error {
  readonly code: StreamErrorCode;
  readonly retryable: boolean;
  readonly details: Record<string, unknown>;
  constructor(code: StreamErrorCode, message: string, options: { retryable?: boolean; cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, { cause: options.cause });
    this.name = 'StreamError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = options.details ?? {};
  }
}

/** A configuration error names the variable and the rule; the host prints it as one line. */
export class ConfigError extends StreamError {
  readonly variable: string;
  constructor(variable: string, rule: string) {
    super('CONFIG_INVALID', `${variable}: ${rule}`, { details: { variable } });
    this.name = 'ConfigError';
    this.variable = variable;
  }
}

/** A record that can never be processed (bad bytes, bad schema): it goes to the DLQ, never retried. */
export class InvalidRecordError extends StreamError {
  constructor(reason: string, message: string, options: { cause?: unknown } = {}) {
    super('INVALID_RECORD', message, { cause: options.cause, details: { reason } });
    this.name = 'InvalidRecordError';
  }
  get reason(): string {
    return String(this.details.reason);
  }
}

/** True when trying again may succeed: our `retryable` flag, kafkajs' `retriable`, or a driver's overload classes. */
export function isRetryable(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { retryable?: unknown; retriable?: unknown; name?: unknown };
  if (typeof e.retryable === 'boolean') return e.retryable;
  if (typeof e.retriable === 'boolean') return e.retriable;
  return false;
}

/** A short, stable class for an error: its code when it has one, else its name. Used as DLQ reason and metric label. */
export function errorClass(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { code?: unknown; reason?: unknown; name?: unknown };
    if (err instanceof InvalidRecordError) return err.reason;
    if (typeof e.code === 'string') return e.code;
    if (typeof e.name === 'string') return e.name;
  }
  return 'Error';
}
