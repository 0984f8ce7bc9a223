import { InvalidRecordError } from '@fleetstream/stream';

/** Schema versions of the enriched event this store understands. */
export const KNOWN_SCHEMA_VERSIONS: ReadonlySet<number> = new Set([1]);

/** The fields of an enriched event (telemetry.enriched) that the store writes. */
export interface StoredEvent {
  schemaVersion: number;
  eventId: string;
  deviceId: string;
  eventTime: number;
  receivedAt: number;
  position: { lat: number; lon: number; altitude?: number; heading?: number; speed?: number; satellites?: number };
  priority?: number;
  eventIoId?: number;
  io?: Record<string, unknown>;
  ignition?: boolean;
  movement?: boolean;
  externalVoltage?: number;
  batteryVoltage?: number;
  engineHours?: number;
  odometer?: number;
  fuelLevel?: number;
  asset?: { assetId?: string; customerId?: string; model?: string; owner?: string; tags?: string[] } | null;
  enrichment?: 'ok' | 'partial' | 'missing';
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const optNum = (v: unknown): number | undefined => (finite(v) ? v : undefined);
const optBool = (v: unknown): boolean | undefined => (typeof v === 'boolean' ? v : v === 1 ? true : v === 0 ? false : undefined);
const optStr = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * Parses and checks an enriched event's bytes. Throws InvalidRecordError (the DLQ reason is the
 * first argument) when the value is not JSON, has a schema version this store does not know, or
 * lacks a field the row key needs. Until the lead switches it to libs/telemetry's decoder.
 */
export function decodeStoredEvent(value: Buffer | null): StoredEvent {
  if (value === null || value.length === 0) throw new InvalidRecordError('empty-value', 'record has no value');
  let raw: unknown;
  try {
    raw = JSON.parse(value.toString('utf8'));
  } catch (err) {
    throw new InvalidRecordError('invalid-json', 'value is not JSON', { cause: err });
  }
  if (!isObj(raw)) throw new InvalidRecordError('invalid-event', 'value is not a JSON object');
  if (!finite(raw.schemaVersion) || !KNOWN_SCHEMA_VERSIONS.has(raw.schemaVersion)) {
    throw new InvalidRecordError('unknown-schema-version', `schemaVersion ${JSON.stringify(raw.schemaVersion)} is not one of ${[...KNOWN_SCHEMA_VERSIONS].join(', ')}`);
  }
  if (typeof raw.deviceId !== 'string' || raw.deviceId === '') throw new InvalidRecordError('missing-device-id', 'deviceId is missing or empty');
  if (typeof raw.eventId !== 'string' || raw.eventId === '') throw new InvalidRecordError('missing-event-id', 'eventId is missing or empty');
  if (!finite(raw.eventTime) || raw.eventTime < 0) throw new InvalidRecordError('missing-event-time', 'eventTime is missing or not a time in ms');
  const p = raw.position;
  if (!isObj(p) || !finite(p.lat) || !finite(p.lon)) throw new InvalidRecordError('missing-position', 'position.lat/lon are missing');
  const a = raw.asset;
  const asset = isObj(a)
    ? { assetId: optStr(a.assetId), customerId: optStr(a.customerId), model: optStr(a.model), owner: optStr(a.owner), tags: Array.isArray(a.tags) ? a.tags.filter((t): t is string => typeof t === 'string') : undefined }
    : null;
  const enrichment = raw.enrichment === 'ok' || raw.enrichment === 'partial' || raw.enrichment === 'missing' ? raw.enrichment : undefined;
  return {
    schemaVersion: raw.schemaVersion,
    eventId: raw.eventId,
    deviceId: raw.deviceId,
    eventTime: raw.eventTime,
    receivedAt: finite(raw.receivedAt) ? raw.receivedAt : raw.eventTime,
    position: { lat: p.lat, lon: p.lon, altitude: optNum(p.altitude), heading: optNum(p.heading), speed: optNum(p.speed), satellites: optNum(p.satellites) },
    priority: optNum(raw.priority),
    eventIoId: optNum(raw.eventIoId),
    io: isObj(raw.io) ? raw.io : undefined,
    ignition: optBool(raw.ignition),
    movement: optBool(raw.movement),
    externalVoltage: optNum(raw.externalVoltage),
    batteryVoltage: optNum(raw.batteryVoltage),
    engineHours: optNum(raw.engineHours),
    odometer: optNum(raw.odometer),
    fuelLevel: optNum(raw.fuelLevel),
    asset,
    enrichment,
  };
}

/** The UTC day bucket ('YYYY-MM-DD') of a time in ms. */
export function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
