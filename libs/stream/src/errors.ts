/**
 * The error model of every fleetstream package: one base error ({@link FleetstreamError}: code,
 * retryable, cause, details) that each package's errors extend, codes prefixed per package and
 * declared as an `as const` list in the package's errors.ts (README lists each one; a test checks),
 * and one classification of any error, ours or a driver's: {@link isRetryable}, {@link isFatal},
 * {@link isOverload}. This file imports nothing, so any package can extend the base
 * (`@fleetstream/stream/errors`) without loading a Kafka client.
 */

/** Options of every fleetstream error. */
export interface FleetstreamErrorOptions {
  /** True when trying the same thing again may succeed (a timeout, an overloaded sink). Default false. */
  retryable?: boolean;
  cause?: unknown;
  /** Structured facts for logs and DLQ headers; never payloads or secrets. */
  details?: Record<string, unknown>;
}

/**
 * The base error of every package. `code` is one of the package's prefixed codes (STREAM_*,
 * TELEMETRY_*, STORE_*, ...); the DLQ reason and the metric label of an error is its code.
 *
 * @example
 * export class StoreError extends FleetstreamError<StoreErrorCode> { override name = 'StoreError'; }
 */
export class FleetstreamError<C extends string = string> extends Error {
  readonly code: C;
  readonly retryable: boolean;
  readonly details: Record<string, unknown>;
  constructor(code: C, message: string, options: FleetstreamErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = options.details ?? {};
  }
}

/** Every code libs/stream raises (README "Error codes"). */
export const StreamErrorCodes = [
  /** A configuration variable breaks its rule (the message names the variable). */
  'STREAM_CONFIG_INVALID',
  /** An option of a runtime building block (token bucket, backoff, limiter, async operator) is invalid. */
  'STREAM_INVALID_OPTION',
  /** Kafka could not be reached. */
  'STREAM_KAFKA_UNAVAILABLE',
  /** Kafka refused the SASL login (a wrong user or password): no retry helps, the service stops. */
  'STREAM_KAFKA_AUTH_FAILED',
  /** A produce was not acknowledged (retryable unless its cause says the sink is unusable). */
  'STREAM_PRODUCE_FAILED',
  /** An offset commit failed (retried at the next commit). */
  'STREAM_COMMIT_FAILED',
  'STREAM_ASYNC_TIMEOUT',
  'STREAM_ASYNC_FAILED',
  /** The sink says "slow down" (the adaptive limiter lowers its concurrency). */
  'STREAM_SINK_OVERLOADED',
  /** The sink refused one record for good (e.g. a value Cassandra rejects): the record goes to the DLQ. */
  'STREAM_SINK_REFUSED',
  /** The sink itself cannot work (bad credentials, missing table, keyspace or topic): the service stops. */
  'STREAM_SINK_FATAL',
  'STREAM_SHUTDOWN_TIMEOUT',
  /** A record that can never be processed (its reason is the DLQ reason). */
  'STREAM_INVALID_RECORD',
  /** OffsetTracker misuse: `complete` of an offset not in flight. */
  'STREAM_OFFSET_NOT_TRACKED',
  /** OffsetTracker misuse: `complete` twice. */
  'STREAM_OFFSET_ALREADY_COMPLETED',
  /** OffsetTracker misuse: `track` of an offset not above the previous one. */
  'STREAM_OFFSET_NOT_INCREASING',
  /** AdaptiveConcurrency misuse: `release` without a slot held. */
  'STREAM_SLOT_NOT_HELD',
] as const;

export type StreamErrorCode = (typeof StreamErrorCodes)[number];

/** The errors of libs/stream. */
export class StreamError extends FleetstreamError<StreamErrorCode> {}

/** A configuration error names the variable and the rule; the host prints it as one line. */
export class ConfigError extends StreamError {
  readonly variable: string;
  constructor(variable: string, rule: string) {
    super('STREAM_CONFIG_INVALID', `${variable}: ${rule}`, { details: { variable } });
    this.variable = variable;
  }
}

/**
 * Thrown when an option of one of the runtime's building blocks (token bucket, backoff, adaptive
 * concurrency, async operator) is invalid. Options are checked once, at construction.
 */
export class InvalidOptionError extends StreamError {
  /** The option at fault, e.g. `capacity`. */
  readonly option: string;
  constructor(option: string, rule: string) {
    super('STREAM_INVALID_OPTION', `option ${option} ${rule}`, { details: { option } });
    this.option = option;
  }
}

/**
 * A record that can never be processed (bad bytes, bad schema): it goes to the DLQ, never retried.
 * `reason` (a prefixed code of the package that found the fault, e.g. TELEMETRY_CRC_MISMATCH) is
 * the DLQ reason.
 */
export class InvalidRecordError extends StreamError {
  constructor(reason: string, message: string, options: { cause?: unknown } = {}) {
    super('STREAM_INVALID_RECORD', message, { cause: options.cause, details: { reason } });
  }
  get reason(): string {
    return String(this.details.reason);
  }
}

/** The sink cannot work at all; no retry helps and no record is to blame. The service stops. */
export class SinkFatalError extends StreamError {
  constructor(message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super('STREAM_SINK_FATAL', message, options);
  }
}

type Fields = { name?: unknown; code?: unknown; type?: unknown; apiId?: unknown; message?: unknown; retryable?: unknown; retriable?: unknown; cause?: unknown; innerErrors?: unknown };

/** The error and what it wraps (the classifications below and the Kafka adapters read it): `cause`, AggregateError's `errors`, cassandra-driver's `innerErrors` (depth-bounded). */
export function* errorChain(err: unknown, depth = 0): Generator<Fields & object> {
  if (!err || typeof err !== 'object' || depth > 8) return;
  yield err as Fields & object;
  const e = err as Fields;
  if (err instanceof AggregateError) for (const inner of err.errors) yield* errorChain(inner, depth + 1);
  if (e.innerErrors && typeof e.innerErrors === 'object') for (const inner of Object.values(e.innerErrors)) yield* errorChain(inner, depth + 1);
  if (e.cause !== undefined) yield* errorChain(e.cause, depth + 1);
}

/** Cassandra response codes of an overloaded or unreachable cluster (not a wrong write). */
const CASSANDRA_OVERLOAD_CODES: ReadonlySet<number> = new Set([
  0x1000, // unavailable: not enough replicas alive for the consistency level
  0x1001, // overloaded
  0x1002, // is bootstrapping
  0x1100, // write timeout
  0x1200, // read timeout
]);
/** cassandra-driver's own errors of the same kind: no host reachable, a client timeout, all connections busy. */
const CASSANDRA_OVERLOAD_NAMES: ReadonlySet<string> = new Set(['NoHostAvailableError', 'OperationTimedOutError', 'BusyConnectionError']);
/** cassandra-driver errors of a connection or a node in trouble (not overload): retried, not counted as overload. */
const CASSANDRA_TRANSIENT_NAMES: ReadonlySet<string> = new Set(['DriverError', 'DriverInternalError']);
/** Cassandra response codes of a server-side failure that may pass: server error, truncate error, read and write failure. */
const CASSANDRA_TRANSIENT_CODES: ReadonlySet<number> = new Set([0x0000, 0x1003, 0x1300, 0x1500]);
/** Kafka error types that no retry fixes and no record causes. */
const KAFKA_FATAL_TYPES: ReadonlySet<string> = new Set([
  'SASL_AUTHENTICATION_FAILED',
  'UNSUPPORTED_SASL_MECHANISM',
  'ILLEGAL_SASL_STATE',
  'TOPIC_AUTHORIZATION_FAILED',
  'GROUP_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
  'UNKNOWN_TOPIC_OR_PARTITION',
]);
/** Kafka error types that blame the records (no retry sends them): the runner finds the record and dead-letters it. */
const KAFKA_RECORD_TYPES: ReadonlySet<string> = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD', 'CORRUPT_MESSAGE']);
/** Socket and HTTP client (undici) error codes of a network that may come back. */
const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED',
]);

/** One error alone (not its chain): does it say the sink is overloaded or unreachable? */
function overloadOne(e: Fields): boolean {
  if (e.code === 'STREAM_SINK_OVERLOADED') return true;
  if (e.name === 'ResponseError' && typeof e.code === 'number') return CASSANDRA_OVERLOAD_CODES.has(e.code);
  if (e.name === 'NoHostAvailableError' && fatalInner(e)) return false;
  return typeof e.name === 'string' && CASSANDRA_OVERLOAD_NAMES.has(e.name);
}

function fatalInner(e: Fields): boolean {
  const inner = e.innerErrors && typeof e.innerErrors === 'object' ? Object.values(e.innerErrors) : [];
  return inner.length > 0 && inner.every((i) => isFatal(i));
}

/** One error alone: does it say the sink itself cannot work? */
/** A Kafka protocol error's name (e.g. TOPIC_AUTHORIZATION_FAILED) on either client, else ''. */
function kafkaErrorName(e: Fields): string {
  if (typeof e.type === 'string') return e.type;
  return typeof e.apiId === 'string' ? e.apiId : '';
}

function fatalOne(e: Fields): boolean {
  if (e.code === 'STREAM_SINK_FATAL' || e.code === 'STREAM_KAFKA_AUTH_FAILED') return true;
  if (e.name === 'KafkaJSSASLAuthenticationError') return true;
  // The Kafka error's name: kafkajs' `type`, @platformatic/kafka's ProtocolError `apiId`.
  if (KAFKA_FATAL_TYPES.has(kafkaErrorName(e))) return true;
  if (e.name === 'AuthenticationError') return true; // cassandra-driver: bad credentials
  if (e.name === 'NoHostAvailableError') return fatalInner(e);
  if (e.name === 'ResponseError' && typeof e.code === 'number') {
    if (e.code === 0x0100 || e.code === 0x2100) return true; // bad credentials, unauthorized
    // An invalid request about the schema (not about a value): the table, keyspace or column is missing.
    return e.code === 0x2200 && /unconfigured table|(table|keyspace) \S+ does not exist|undefined column/i.test(String(e.message));
  }
  return false;
}

/**
 * True when the sink (or source) itself cannot work: bad credentials, no permission, a missing
 * table, keyspace or topic. No retry helps and no record is to blame, so the runner stops the
 * service with the error's message instead of retrying or dead-lettering. Looks through `cause`
 * and wrapped errors (a retryable STREAM_PRODUCE_FAILED caused by TOPIC_AUTHORIZATION_FAILED is fatal).
 */
export function isFatal(err: unknown): boolean {
  for (const e of errorChain(err)) if (fatalOne(e)) return true;
  return false;
}

/**
 * True when trying again may succeed. Answers for any error: ours (`retryable`), kafkajs'
 * (`retriable`), cassandra-driver's overload, timeout, unavailable and transport classes (by name
 * and code, so it holds for any driver instance), and socket / undici network errors; a wrapper without a flag
 * answers for its cause; an AggregateError is retryable when one of its errors is. A fatal error
 * ({@link isFatal}) is never retryable, nor a Kafka error that blames the records (a message too
 * large, a corrupt or invalid record), wrapped or not.
 */
export function isRetryable(err: unknown): boolean {
  if (isFatal(err)) return false;
  for (const e of errorChain(err)) if (KAFKA_RECORD_TYPES.has(kafkaErrorName(e))) return false;
  return retryableOne(err, 0);
}

function retryableOne(err: unknown, depth: number): boolean {
  if (!err || typeof err !== 'object' || depth > 8) return false;
  const e = err as Fields;
  if (typeof e.retryable === 'boolean') return e.retryable;
  if (err instanceof AggregateError) return err.errors.some((inner) => retryableOne(inner, depth + 1));
  if (overloadOne(e)) return true;
  if (typeof e.name === 'string' && CASSANDRA_TRANSIENT_NAMES.has(e.name)) return true;
  if (e.name === 'ResponseError' && typeof e.code === 'number' && CASSANDRA_TRANSIENT_CODES.has(e.code)) return true;
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return true;
  // kafkajs gives up after its own retries with a non-retriable wrapper around a retriable cause
  // (a broker restart): the cause decides.
  if (e.name === 'KafkaJSNumberOfRetriesExceeded' && e.cause !== undefined) return retryableOne(e.cause, depth + 1);
  if (typeof e.retriable === 'boolean') return e.retriable;
  return e.cause !== undefined && retryableOne(e.cause, depth + 1);
}

/**
 * True for errors that say the sink is overloaded or unreachable (Cassandra write timeouts,
 * overloaded, unavailable, no host available, client timeouts; STREAM_SINK_OVERLOADED): the adaptive
 * limiter lowers its concurrency on these.
 */
export function isOverload(err: unknown): boolean {
  for (const e of errorChain(err)) if (overloadOne(e)) return true;
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
