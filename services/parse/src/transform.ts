import {
  decodeTcpPacket,
  decodeUdpPacket,
  ingestToTelemetryEvents,
  SCHEMA_VERSION_HEADER,
  TELEMETRY_EVENT_SCHEMA_VERSION,
  TelemetryError,
  telemetryEventsJsonBytes,
  JsonBytes,
  toTelemetryEvents,
  validateIngest,
  type TelemetryEvent,
  RawHeaders,
  type RawProtocol,
} from '@fleetstream/telemetry';

export { RawHeaders };
import { copyTraceHeaders, InvalidRecordError, type InboundRecord, type OutboundRecord, type Transform, type TransformResult } from '@fleetstream/stream';


/** Decodes one raw record into canonical events; throws TelemetryError / InvalidRecordError on bad input. */
export function decodeRaw(record: InboundRecord): TelemetryEvent[] {
  if (!record.value || record.value.length === 0) throw new InvalidRecordError('EMPTY_VALUE', 'the raw record has no value');
  const receivedAt = Number(record.headers[RawHeaders.receivedAt] ?? record.timestamp);
  const protocol = (record.headers[RawHeaders.protocol] ?? 'teltonika-tcp') as RawProtocol;
  switch (protocol) {
    case 'teltonika-tcp': {
      const deviceId = record.key?.toString('utf8');
      if (!deviceId) throw new InvalidRecordError('MISSING_DEVICE_ID', 'a teltonika-tcp record needs the IMEI as its key');
      return toTelemetryEvents(deviceId, receivedAt, decodeTcpPacket(record.value));
    }
    case 'teltonika-udp': {
      const packet = decodeUdpPacket(record.value);
      return toTelemetryEvents(packet.imei, receivedAt, packet);
    }
    case 'json': {
      let body: unknown;
      try {
        body = JSON.parse(record.value.toString('utf8'));
      } catch (err) {
        throw new TelemetryError('TELEMETRY_SCHEMA_INVALID', `not JSON: ${(err as Error).message}`, { cause: err });
      }
      const result = validateIngest(body);
      if (!result.ok) throw new TelemetryError('TELEMETRY_SCHEMA_INVALID', result.errors.slice(0, 3).map((e) => `${e.path}: ${e.message}`).join('; '));
      return ingestToTelemetryEvents(result.events, receivedAt);
    }
    default:
      throw new InvalidRecordError('UNKNOWN_PROTOCOL', `unknown protocol header "${String(protocol)}"`);
  }
}

/**
 * Decodes one raw record straight to the JSON of its canonical events (appended to `out`): the same
 * events as {@link decodeRaw} then encodeEvent, without building event objects for the binary
 * protocols, whose events are written as bytes by `w` (views of its blocks); JSON ingest events
 * are their JSON.stringify text. Returns the Kafka key of the events (the IMEI for TCP: the
 * record's own key bytes; the packet's IMEI for UDP; each event's device id for JSON ingest) and
 * their receivedAt. Throws as decodeRaw does; on a throw nothing was appended.
 */
export function decodeRawJson(record: InboundRecord, w: JsonBytes, out: (Buffer | string)[]): { key: Buffer | string | string[]; receivedAt: number } {
  if (!record.value || record.value.length === 0) throw new InvalidRecordError('EMPTY_VALUE', 'the raw record has no value');
  const receivedAt = Number(record.headers[RawHeaders.receivedAt] ?? record.timestamp);
  const protocol = record.headers[RawHeaders.protocol] ?? 'teltonika-tcp';
  if (protocol === 'teltonika-tcp') {
    const deviceId = record.key?.toString('utf8');
    if (!deviceId) throw new InvalidRecordError('MISSING_DEVICE_ID', 'a teltonika-tcp record needs the IMEI as its key');
    telemetryEventsJsonBytes(deviceId, receivedAt, decodeTcpPacket(record.value), w, out as Buffer[]);
    // valid device ids are ASCII, so the key bytes are the device id's bytes
    return { key: record.key!, receivedAt };
  }
  if (protocol === 'teltonika-udp') {
    const packet = decodeUdpPacket(record.value);
    telemetryEventsJsonBytes(packet.imei, receivedAt, packet, w, out as Buffer[]);
    return { key: packet.imei, receivedAt };
  }
  const events = decodeRaw(record);
  for (const event of events) out.push(JSON.stringify(event));
  return { key: events.map((e) => e.deviceId), receivedAt };
}

/**
 * The parse transformation: one canonical event per AVL record (or JSON event), keyed by device
 * id, schema version in a header; anything that cannot be decoded is a dead letter with the
 * decoder's error code as its reason.
 *
 * Each value of a Teltonika event is its JSON written as bytes (JsonBytes: a view of a block the
 * transform's writer keeps filling, no string per event); the events of one input record share
 * one headers object.
 */
export function parseTransform(outputTopic: string): Transform {
  const version = String(TELEMETRY_EVENT_SCHEMA_VERSION);
  const w = new JsonBytes();
  return (records: InboundRecord[]): TransformResult => {
    const out: OutboundRecord[] = [];
    const dead: TransformResult['dead'] = [];
    const texts: (Buffer | string)[] = [];
    for (const record of records) {
      const first = texts.length;
      let decoded: ReturnType<typeof decodeRawJson>;
      try {
        decoded = decodeRawJson(record, w, texts);
      } catch (error) {
        texts.length = first;
        dead.push({ record, error });
        continue;
      }
      const { key, receivedAt } = decoded;
      // The record's trace context continues on its events (tracing.ts; a header copy when tracing is off).
      const headers = copyTraceHeaders(record.headers, { [SCHEMA_VERSION_HEADER]: version, [RawHeaders.receivedAt]: String(receivedAt) });
      for (let i = first; i < texts.length; i++) {
        out.push({ topic: outputTopic, key: typeof key === 'object' && !Buffer.isBuffer(key) ? key[i - first]! : key, value: texts[i]!, headers });
      }
    }
    return { out, dead };
  };
}
