import type { InboundRecord } from './types.ts';
import type { DeadLetter } from './dlq.ts';

/** What a transformation makes of a chunk: outputs for the sink, and inputs that failed for good. */
export interface StageResult<T> {
  out: T[];
  dead: DeadLetter[];
}

/** What a sink's write is told besides the records. */
export interface SinkContext {
  /** The stage's consumer group (a transactional sink commits the input offsets for it). */
  groupId: string;
  /** Aborted when the service stops or the partition is revoked: stop retrying. */
  signal: AbortSignal;
}

/**
 * The port every stage delivers through. A sink owns its delivery policy: acknowledgement,
 * retries of what may succeed later (one loop, errors.ts `isRetryable`), and where dead letters
 * go. The stage calls `write` once per chunk and again record by record when a chunk failed for
 * good; a fatal error (`isFatal`: the sink cannot work) stops the service.
 */
export interface Sink<T> {
  /** Connects; throws (and the service does not start) when the sink cannot work. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Resolves once every output and dead letter of the chunk is durable. */
  write(result: StageResult<T>, records: InboundRecord[], ctx: SinkContext): Promise<void>;
  /** True when `write` commits the input offsets itself (a Kafka transaction): the runner then does not. */
  readonly commitsOffsets?: boolean;
}
