import type { Headers, InboundRecord, OutboundRecord } from '@fleetstream/stream';

import { RawHeaders, type RawProtocol } from '@fleetstream/telemetry';

export { RawHeaders, type RawProtocol };

/** What the gateway knows about bytes it received. */
export interface RawInput {
  topic: string;
  key: string;
  value: Buffer;
  protocol: RawProtocol;
  /** Codec id as a decimal string; absent for JSON or when the packet could not be read. */
  codec?: number;
  receivedAt: number;
  remote: string;
}

function rawHeaders(input: RawInput, trace?: Headers): Headers {
  const headers: Headers = {
    ...trace,
    [RawHeaders.protocol]: input.protocol,
    [RawHeaders.receivedAt]: String(input.receivedAt),
    [RawHeaders.remote]: input.remote,
  };
  if (input.codec !== undefined) headers[RawHeaders.codec] = String(input.codec);
  return headers;
}

/**
 * The telemetry.raw record: key = device id, value = the bytes as received, headers as
 * docs/architecture.md says, plus `traceparent`/`tracestate` of the packet's span (`trace`) when tracing is on.
 */
export function toRawRecord(input: RawInput, trace?: Headers): OutboundRecord {
  return { topic: input.topic, key: input.key, value: input.value, headers: rawHeaders(input, trace) };
}

/**
 * The "record" a DLQ entry needs for bytes that never reached Kafka: the raw topic, partition -1 and
 * offset -1 (never stored), so `fleetstream dlq replay` can re-send it to the raw topic.
 */
export function toSyntheticInbound(input: RawInput, trace?: Headers): InboundRecord {
  return {
    topic: input.topic,
    partition: -1,
    offset: '-1',
    key: Buffer.from(input.key),
    value: input.value,
    headers: rawHeaders(input, trace),
    timestamp: input.receivedAt,
  };
}
