import {
  decodeTcpPacket,
  decodeUdpPacket,
  encodeEvent,
  ingestToTelemetryEvents,
  SCHEMA_VERSION_HEADER,
  TELEMETRY_EVENT_SCHEMA_VERSION,
  TelemetryError,
  toTelemetryEvents,
  validateIngest,
  type TelemetryEvent,
  RawHeaders,
  type RawProtocol,
} from '@fleetstream/telemetry';

export { RawHeaders };
import { InvalidRecordError, type InboundRecord, type Transform, type TransformResult } from '@fleetstream/stream';


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
        throw new TelemetryError('SCHEMA_INVALID', `not JSON: ${(err as Error).message}`, { cause: err });
      }
      const result = validateIngest(body);
      if (!result.ok) throw new TelemetryError('SCHEMA_INVALID', result.errors.slice(0, 3).map((e) => `${e.path}: ${e.message}`).join('; '));
      return ingestToTelemetryEvents(result.events, receivedAt);
    }
    default:
      throw new InvalidRecordError('UNKNOWN_PROTOCOL', `unknown protocol header "${String(protocol)}"`);
  }
}

/**
 * The parse transformation: one canonical event per AVL record (or JSON event), keyed by device
 * id, schema version in a header; anything that cannot be decoded is a dead letter with the
 * decoder's error code as its reason.
 */
export function parseTransform(outputTopic: string): Transform {
  const version = String(TELEMETRY_EVENT_SCHEMA_VERSION);
  return (records: InboundRecord[]): TransformResult => {
    const result: TransformResult = { out: [], dead: [] };
    for (const record of records) {
      let events: TelemetryEvent[];
      try {
        events = decodeRaw(record);
      } catch (error) {
        result.dead.push({ record, error });
        continue;
      }
      const receivedAt = String(events[0]?.receivedAt ?? record.timestamp);
      for (const event of events) {
        result.out.push({
          topic: outputTopic,
          key: event.deviceId,
          value: encodeEvent(event),
          headers: { [SCHEMA_VERSION_HEADER]: version, [RawHeaders.receivedAt]: receivedAt },
        });
      }
    }
    return result;
  };
}
