import type { InboundRecord, OutboundRecord, Headers } from './types.ts';
import type { StreamProducer } from './kafka/types.ts';
import type { StreamMetrics } from './metrics.ts';
import { errorClass } from './errors.ts';

export const DLQ_TOPIC = 'telemetry.dlq';

/** Header names of a DLQ record (docs/architecture.md, "Topics"): enough to understand and to replay the input. */
export const DlqHeaders = {
  sourceTopic: 'dlq.source.topic',
  sourcePartition: 'dlq.source.partition',
  sourceOffset: 'dlq.source.offset',
  service: 'dlq.service',
  errorClass: 'dlq.error.class',
  errorMessage: 'dlq.error.message',
  firstSeen: 'dlq.first.seen',
  /** Set by `fleetstream dlq replay` on the re-sent record, so a replayed record is never replayed again. */
  replayed: 'dlq.replayed',
} as const;

/** An input that failed for good, with the error that explains why. */
export interface DeadLetter {
  record: InboundRecord;
  error: unknown;
}

/** Builds the DLQ record: original key, value and headers, plus the error headers. */
export function toDlqRecord(letter: DeadLetter, service: string, now = Date.now()): OutboundRecord {
  const { record, error } = letter;
  const message = error instanceof Error ? error.message : String(error);
  const headers: Headers = {
    ...record.headers,
    [DlqHeaders.sourceTopic]: record.headers[DlqHeaders.sourceTopic] ?? record.topic,
    [DlqHeaders.sourcePartition]: record.headers[DlqHeaders.sourcePartition] ?? String(record.partition),
    [DlqHeaders.sourceOffset]: record.headers[DlqHeaders.sourceOffset] ?? record.offset,
    [DlqHeaders.service]: service,
    [DlqHeaders.errorClass]: errorClass(error),
    [DlqHeaders.errorMessage]: message.length > 500 ? `${message.slice(0, 497)}...` : message,
    [DlqHeaders.firstSeen]: record.headers[DlqHeaders.firstSeen] ?? new Date(now).toISOString(),
  };
  return { topic: DLQ_TOPIC, key: record.key, value: record.value, headers };
}

/** Writes dead letters with acks=all and counts them by reason. */
export class DlqWriter {
  readonly #producer: StreamProducer;
  readonly #metrics: StreamMetrics;
  readonly #topic: string;

  constructor(producer: StreamProducer, metrics: StreamMetrics, options: { topic?: string } = {}) {
    this.#producer = producer;
    this.#metrics = metrics;
    this.#topic = options.topic ?? DLQ_TOPIC;
  }

  /** Records for a producer call of the caller's (so outputs and DLQ go in one request). */
  records(letters: DeadLetter[]): OutboundRecord[] {
    return letters.map((l) => ({ ...toDlqRecord(l, this.#metrics.service), topic: this.#topic }));
  }

  /** Counts letters once they are acknowledged. */
  count(letters: DeadLetter[]): void {
    for (const l of letters) this.#metrics.dlq.inc({ service: this.#metrics.service, reason: errorClass(l.error) });
  }

  async send(letters: DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    await this.#producer.send(this.records(letters));
    this.count(letters);
  }
}
