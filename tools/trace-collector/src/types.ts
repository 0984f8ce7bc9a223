/** An OTLP attribute value, decoded: arrays and key-value lists as arrays and objects, bytes as hex. */
export type AttributeValue = string | number | boolean | null | AttributeValue[] | { [key: string]: AttributeValue };

/** Attributes as a plain object (a repeated key keeps its last value). */
export type Attributes = Record<string, AttributeValue>;

/** One span as received: ids in lowercase hex, times in nanoseconds since the epoch (bigint). */
export interface CollectedSpan {
  traceId: string;
  spanId: string;
  /** Empty string for a root span. */
  parentSpanId: string;
  traceState: string;
  name: string;
  /** OTLP SpanKind: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: Attributes;
  events: { name: string; timeUnixNano: bigint; attributes: Attributes }[];
  /** OTLP StatusCode: 0 unset, 1 ok, 2 error. */
  status: { code: number; message: string };
  /** The resource's `service.name` ('' when it has none). */
  serviceName: string;
  resource: Attributes;
  scope: { name: string; version: string };
}
