/**
 * The canonical event model (docs/architecture.md, "Event model"): TelemetryEvent on telemetry.parsed and
 * EnrichedEvent on telemetry.enriched, as TypeScript types and as zod schemas. The zod schemas are
 * the reference definition (and generate documentation); the hot path validates with the
 * hand-written, equivalent checks of event-validate.ts (a test keeps the two in agreement).
 */
import { z } from 'zod';

/** Schema version written by this code on telemetry.parsed (header and `schemaVersion`). */
export const TELEMETRY_EVENT_SCHEMA_VERSION = 1;
/**
 * Schema version enrich writes on telemetry.enriched unless told otherwise (ENRICHED_SCHEMA_VERSION).
 * Readers accept every version of ENRICHED_EVENT_SCHEMA_VERSIONS (enriched-versions.ts).
 */
export const ENRICHED_EVENT_SCHEMA_VERSION = 1;

/**
 * An I/O value in JSON. The JSON type tells the kind apart:
 * - number: an integer that is a safe integer (|v| <= 2^53 - 1), or any finite number from JSON ingest;
 * - string: a decimal integer too large for a safe integer (8-byte values), e.g. "18446744073709551615";
 * - { hex }: raw bytes (Codec 8 Extended NX elements), lowercase hex without prefix, e.g. { "hex": "0a1b" }.
 */
export type IoJsonValue = number | string | { hex: string };

/** Where the device was. */
export interface EventPosition {
  /** Degrees, -90..90. */
  lat: number;
  /** Degrees, -180..180. */
  lon: number;
  /** Metres above sea level. */
  altitude: number;
  /** Degrees from north, 0..360. */
  heading: number;
  /** km/h, >= 0. */
  speed: number;
  satellites: number;
}

/** Derived fields, present when the record carries their I/O element (see README, "Derived fields"). */
export interface WellKnownFields {
  ignition?: boolean;
  movement?: boolean;
  /** Volts. */
  externalVoltage?: number;
  /** Volts. */
  batteryVoltage?: number;
  /** Hours. */
  engineHours?: number;
  /** Metres (total odometer). */
  odometer?: number;
  /** Percent. */
  fuelLevel?: number;
}

/** One AVL record as a canonical event (schema version 1). */
export interface TelemetryEvent extends WellKnownFields {
  schemaVersion: 1;
  /** Deterministic UUID (event-id.ts): a replay writes the same rows. */
  eventId: string;
  /** IMEI or serial. */
  deviceId: string;
  /** ms since epoch, device clock. */
  eventTime: number;
  /** ms since epoch, gateway clock. */
  receivedAt: number;
  position: EventPosition;
  priority: number;
  eventIoId: number;
  /** Codec 16 only. */
  generationType?: number;
  /** I/O element id (decimal string) -> value. */
  io: Record<string, IoJsonValue>;
}

export const ENRICHMENT_STATUSES = ['ok', 'partial', 'missing'] as const;
/** ok: asset found and complete; partial: found with fields missing; missing: no asset for the device. */
export type EnrichmentStatus = (typeof ENRICHMENT_STATUSES)[number];

/** The asset enrich found for a device: an asset always has an id; other fields are null when unknown. */
export interface AssetFields {
  assetId: string;
  customerId: string | null;
  model: string | null;
  owner: string | null;
  tags: string[];
}

export const ENRICHMENT_SOURCES = ['table', 'cache', 'remote', 'fallback'] as const;
/**
 * Where enrich found the asset: the local reference table, its cache of remote answers, a remote
 * call, or the failure fallback (stale cached data or nothing, after a timeout or failed call).
 */
export type EnrichmentSource = (typeof ENRICHMENT_SOURCES)[number];

/** Versions of the enriched event on the wire (enriched-versions.ts tells them apart). */
export type EnrichedSchemaVersion = 1 | 2;

/**
 * A TelemetryEvent plus the device's asset (null when no asset is known) and the enrichment status,
 * as the services hold it in memory whatever the version it was read from (`schemaVersion`).
 * Enrich writes `asset: null` with `enrichment: 'missing'`, an asset with every field known with
 * 'ok', and one with fields missing (or known only from stale data) with 'partial'.
 * On the wire, v1 is this object as JSON (without `enrichmentSource`); v2 carries
 * `enrichment: { status, source }` instead (enriched-versions.ts).
 */
export type EnrichedEvent = Omit<TelemetryEvent, 'schemaVersion'> & {
  schemaVersion: EnrichedSchemaVersion;
  asset: AssetFields | null;
  enrichment: EnrichmentStatus;
  /** Known when read from v2 or about to be written as v2. */
  enrichmentSource?: EnrichmentSource;
};

/** Largest io id (2 bytes on the wire). */
export const MAX_IO_ID = 0xffff;
/** Decimal io id 0..65535 without leading zeros. */
export const IO_ID_PATTERN =
  '^(0|[1-9]\\d{0,3}|[1-5]\\d{4}|6[0-4]\\d{3}|65[0-4]\\d{2}|655[0-2]\\d|6553[0-5])$';
/** Decimal integer without leading zeros, at most 20 digits (u64 max has 20). */
export const DECIMAL_PATTERN = '^(0|-?[1-9]\\d{0,19})$';
/** Lowercase hex bytes, no prefix. */
export const HEX_PATTERN = '^(?:[0-9a-f]{2})*$';
/** Device ids: IMEIs, serials; letters, digits and . _ : - only (they become Kafka keys and CQL values). */
export const DEVICE_ID_PATTERN = '^[A-Za-z0-9._:-]{1,64}$';

const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
const timeMs = z.int().min(0);

export const ioJsonValueSchema = z.union([
  z.number(),
  z.string().regex(new RegExp(DECIMAL_PATTERN)),
  z.strictObject({ hex: z.string().regex(new RegExp(HEX_PATTERN)) }),
]);
export const ioSchema = z.record(z.string().regex(new RegExp(IO_ID_PATTERN)), ioJsonValueSchema);

export const eventPositionSchema = z.object({
  lat: z.number().min(-90).max(90),
  lon: z.number().min(-180).max(180),
  altitude: z.number(),
  heading: z.number().min(0).max(360),
  speed: z.number().min(0),
  satellites: z.int().min(0).max(255),
});

export const wellKnownFieldsShape = {
  ignition: z.boolean().optional(),
  movement: z.boolean().optional(),
  externalVoltage: z.number().optional(),
  batteryVoltage: z.number().optional(),
  engineHours: z.number().min(0).optional(),
  odometer: z.number().min(0).optional(),
  fuelLevel: z.number().min(0).optional(),
};

/** TelemetryEvent v1. Unknown extra fields are allowed (additive changes keep the version). */
export const telemetryEventSchema = z.object({
  schemaVersion: z.literal(1),
  eventId: uuid,
  deviceId: z.string().regex(new RegExp(DEVICE_ID_PATTERN)),
  eventTime: timeMs,
  receivedAt: timeMs,
  position: eventPositionSchema,
  priority: z.int().min(0).max(255),
  eventIoId: z.int().min(0).max(MAX_IO_ID),
  generationType: z.int().min(0).max(255).optional(),
  io: ioSchema,
  ...wellKnownFieldsShape,
});

const nullableText = z.string().nullable();

/** AssetFields (the `asset` of an EnrichedEvent). Unknown extra fields are allowed. */
export const assetFieldsSchema = z.object({
  assetId: z.string(),
  customerId: nullableText,
  model: nullableText,
  owner: nullableText,
  tags: z.array(z.string()),
});

/** EnrichedEvent v1. */
export const enrichedEventSchema = telemetryEventSchema.extend({
  asset: assetFieldsSchema.nullable(),
  enrichment: z.enum(ENRICHMENT_STATUSES),
});

/** EnrichedEvent v2 on the wire: `enrichment` is an object with the status and the asset's source. */
export const enrichedEventV2Schema = enrichedEventSchema.extend({
  schemaVersion: z.literal(2),
  enrichment: z.object({ status: z.enum(ENRICHMENT_STATUSES), source: z.enum(ENRICHMENT_SOURCES) }),
});
