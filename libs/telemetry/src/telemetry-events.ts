/**
 * Decoded AVL packets -> canonical TelemetryEvents (one per record), with JSON-ready io values and
 * the well-known derived fields.
 */
import type { AvlPacketInput, IoElement, IoValue } from './avl-record.ts';
import { TelemetryError } from './errors.ts';
import { DEVICE_ID_PATTERN, TELEMETRY_EVENT_SCHEMA_VERSION } from './event.ts';
import type { IoJsonValue, TelemetryEvent, WellKnownFields } from './event.ts';
import { eventIdKey, occurrences, uuidFromKey } from './event-id.ts';

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const DEVICE_ID = new RegExp(DEVICE_ID_PATTERN);

/**
 * An io value as JSON: a number when it is a safe integer, a decimal string when it is a larger
 * integer, { hex } for bytes (see {@link IoJsonValue}).
 */
export function ioValueToJson(value: IoValue): IoJsonValue {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint')
    return value <= MAX_SAFE && value >= -MAX_SAFE ? Number(value) : value.toString();
  return { hex: value.toString('hex') };
}

/** A record's io elements as a JSON object id -> value (a later duplicate id wins). */
export function ioToJson(io: readonly IoElement[]): Record<string, IoJsonValue> {
  const out: Record<string, IoJsonValue> = {};
  for (const element of io) out[element.id] = ioValueToJson(element.value);
  return out;
}

/**
 * Teltonika AVL ids behind the derived fields (FMB/FMC/FMM common ids). Where two ids can carry a
 * field, the first present wins.
 */
export const WELL_KNOWN_IO = {
  /** 239 Ignition (0/1). */
  ignition: [239],
  /** 240 Movement (0/1). */
  movement: [240],
  /** 66 External Voltage, mV -> V. */
  externalVoltage: [66],
  /** 67 Battery Voltage, mV -> V. */
  batteryVoltage: [67],
  /** 449 Ignition On Counter, s -> h; else 103 Engine Worktime (counted, CAN), min -> h. */
  engineHours: [449, 103],
  /** 16 Total Odometer, m. */
  odometer: [16],
  /** 89 Fuel level (CAN, %); else 48 Fuel Level (OBD, %). */
  fuelLevel: [89, 48],
} as const;

function numeric(value: IoJsonValue | undefined): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

/** The derived fields present in an io object (see {@link WELL_KNOWN_IO}). */
export function wellKnownFields(io: Readonly<Record<string, IoJsonValue>>): WellKnownFields {
  const out: WellKnownFields = {};
  const ignition = numeric(io[239]);
  if (ignition !== undefined) out.ignition = ignition !== 0;
  const movement = numeric(io[240]);
  if (movement !== undefined) out.movement = movement !== 0;
  const external = numeric(io[66]);
  if (external !== undefined) out.externalVoltage = external / 1000;
  const battery = numeric(io[67]);
  if (battery !== undefined) out.batteryVoltage = battery / 1000;
  const ignitionOnSeconds = numeric(io[449]);
  const worktimeMinutes = numeric(io[103]);
  if (ignitionOnSeconds !== undefined && ignitionOnSeconds >= 0)
    out.engineHours = ignitionOnSeconds / 3600;
  else if (worktimeMinutes !== undefined && worktimeMinutes >= 0)
    out.engineHours = worktimeMinutes / 60;
  const odometer = numeric(io[16]);
  if (odometer !== undefined && odometer >= 0) out.odometer = odometer;
  const fuel = numeric(io[89]) ?? numeric(io[48]);
  if (fuel !== undefined && fuel >= 0) out.fuelLevel = fuel;
  return out;
}

function outOfRange(index: number, field: string, value: number, range: string): TelemetryError {
  return new TelemetryError(
    'TELEMETRY_OUT_OF_RANGE',
    `record ${index + 1}: ${field} ${value} is outside ${range}`,
    {
      details: { record: index, field, value },
    },
  );
}

/**
 * Checks a packet's device id and records (TELEMETRY_SCHEMA_INVALID, TELEMETRY_OUT_OF_RANGE) and returns each record's
 * eventId key (event-id.ts), in record order. Shared by {@link toTelemetryEvents} and the direct
 * JSON encoder (event-json.ts), so both refuse exactly the same packets.
 */
export function recordKeys(deviceId: string, records: AvlPacketInput['records']): string[] {
  if (!DEVICE_ID.test(deviceId)) {
    throw new TelemetryError(
      'TELEMETRY_SCHEMA_INVALID',
      `/deviceId: ${JSON.stringify(deviceId)} is not 1..64 letters, digits or . _ : -`,
      {
        details: { path: '/deviceId', message: 'invalid device id' },
      },
    );
  }
  const keys = new Array<string>(records.length);
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    if (r.latitude < -90 || r.latitude > 90) throw outOfRange(i, 'latitude', r.latitude, '-90..90');
    if (r.longitude < -180 || r.longitude > 180)
      throw outOfRange(i, 'longitude', r.longitude, '-180..180');
    if (r.angle > 360) throw outOfRange(i, 'angle', r.angle, '0..360');
    keys[i] = eventIdKey({
      deviceId,
      eventTime: r.timestamp,
      priority: r.priority,
      eventIoId: r.eventIoId,
      lat: r.latitude,
      lon: r.longitude,
    });
  }
  return keys;
}

/**
 * One TelemetryEvent (schema v1) per AVL record of `packet`, in record order, with deterministic
 * eventIds (event-id.ts). TELEMETRY_OUT_OF_RANGE when a record has an impossible position (latitude outside
 * -90..90, longitude outside -180..180, heading above 360): the whole packet is refused, never a
 * partial result.
 *
 * @example toTelemetryEvents('356307042441013', Date.now(), decodeTcpPacket(frame))
 */
export function toTelemetryEvents(
  deviceId: string,
  receivedAt: number,
  packet: AvlPacketInput,
): TelemetryEvent[] {
  const { records } = packet;
  const keys = recordKeys(deviceId, records);
  const seen = occurrences(keys);
  return records.map((r, i) => {
    const io = ioToJson(r.io);
    const event: TelemetryEvent = {
      schemaVersion: TELEMETRY_EVENT_SCHEMA_VERSION,
      eventId: uuidFromKey(keys[i]!, seen[i]!),
      deviceId,
      eventTime: r.timestamp,
      receivedAt,
      position: {
        lat: r.latitude,
        lon: r.longitude,
        altitude: r.altitude,
        heading: r.angle,
        speed: r.speed,
        satellites: r.satellites,
      },
      priority: r.priority,
      eventIoId: r.eventIoId,
      io,
      ...wellKnownFields(io),
    };
    if (r.generationType !== undefined) event.generationType = r.generationType;
    return event;
  });
}
