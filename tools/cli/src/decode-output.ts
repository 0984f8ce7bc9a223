/**
 * What `fleetstream decode` prints: decoded packets as plain JSON, and one-line errors with a hint
 * for whoever is staring at a misbehaving device.
 */
import { isTelemetryError } from '@fleetstream/telemetry';
import type { AvlPacket, AvlRecord, IoValue, TelemetryErrorCode } from '@fleetstream/telemetry';

/** An io value as the CLI prints it: number when safe, decimal string when larger, hex string for bytes. */
export type CliIoValue = number | string;

/** A decoded record as printed: the AvlRecord's fields, with io values made printable. */
export type CliRecord = Omit<AvlRecord, 'io'> & { io: Record<string, CliIoValue> };

export interface CliPacket {
  /** Codec id as on the wire: 8, 142 (0x8E, Codec 8 Extended) or 16. */
  codec: number;
  imei?: string;
  records: CliRecord[];
}

function ioValue(value: IoValue): CliIoValue {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint')
    return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
  return value.toString('hex');
}

function record(r: AvlRecord): CliRecord {
  const io: Record<string, CliIoValue> = {};
  for (const element of r.io) io[element.id] = ioValue(element.value);
  return {
    timestamp: r.timestamp,
    priority: r.priority,
    longitude: r.longitude,
    latitude: r.latitude,
    altitude: r.altitude,
    angle: r.angle,
    satellites: r.satellites,
    speed: r.speed,
    eventIoId: r.eventIoId,
    ...(r.generationType === undefined ? {} : { generationType: r.generationType }),
    io,
  };
}

/** The printed shape of a decoded packet (UDP packets add `imei`). */
export function packetToJson(packet: AvlPacket, imei?: string): CliPacket {
  return {
    codec: packet.codecId,
    ...(imei === undefined ? {} : { imei }),
    records: packet.records.map(record),
  };
}

const HINTS: Partial<Record<TelemetryErrorCode, string>> = {
  TELEMETRY_BAD_PREAMBLE:
    'a TCP AVL packet starts with 00000000; an IMEI login starts with its 2-byte length; a UDP datagram needs --transport udp',
  TELEMETRY_LENGTH_MISMATCH: 'the input holds more or less than one packet; pass exactly one',
  TELEMETRY_COUNT_MISMATCH: 'the packet contradicts itself: corrupted, or built by a faulty encoder',
  TELEMETRY_CRC_MISMATCH: 'the packet was corrupted or cut',
  TELEMETRY_UNKNOWN_CODEC:
    'only the AVL data codecs 8, 8E and 16 are decoded (Codec 12/13/14 carry GPRS commands)',
  TELEMETRY_TRUNCATED: 'the packet is cut short; was the capture split across reads?',
  TELEMETRY_BAD_TIMESTAMP: 'the record is corrupted',
  TELEMETRY_BAD_IMEI: 'an IMEI is 1 to 20 ASCII digits',
  TELEMETRY_BAD_HEX: 'give the bytes as hex digits (spaces and line breaks allowed), e.g. 000F333536...',
};

/** One line: `CODE at byte N: message — hint`. */
export function describeError(err: unknown, hint?: string): string {
  if (!isTelemetryError(err)) return err instanceof Error ? err.message : String(err);
  const where =
    err.offset === undefined
      ? ''
      : err.code === 'TELEMETRY_BAD_HEX'
        ? ` at character ${err.offset}`
        : ` at byte ${err.offset}`;
  const help = hint ?? HINTS[err.code];
  return `${err.code}${where}: ${err.message}${help ? ` — ${help}` : ''}`;
}
