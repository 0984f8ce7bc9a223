/**
 * The JSON ingest format (v1): what devices and systems POST to the gateway instead of Teltonika
 * binary. One event, or a batch { "events": [...] }. The zod schemas below are the definition;
 * schema/ingest-v1.schema.json is generated from them (npm run schema) and published.
 */
import { z } from 'zod';
import {
  DEVICE_ID_PATTERN,
  MAX_IO_ID,
  TELEMETRY_EVENT_SCHEMA_VERSION,
  ioSchema,
  wellKnownFieldsShape,
} from './event.ts';
import type { TelemetryEvent } from './event.ts';
import { eventIdKey, occurrences, uuidFromKey } from './event-id.ts';
import type { FieldError } from './event-validate.ts';
import { wellKnownFields } from './telemetry-events.ts';

/** Most events in one batch body. */
export const MAX_INGEST_BATCH = 1000;
/** Most field errors reported for one body (the rest are summarised in one last entry). */
export const MAX_INGEST_ERRORS = 50;
/** `$id` of the published JSON Schema. */
export const INGEST_SCHEMA_ID = 'https://fleetstream.dev/schema/ingest-v1.schema.json';

export const ingestPositionSchema = z.strictObject({
  lat: z.number().min(-90).max(90).describe('Latitude, degrees.'),
  lon: z.number().min(-180).max(180).describe('Longitude, degrees.'),
  altitude: z.number().optional().describe('Metres above sea level (default 0).'),
  heading: z.number().min(0).max(360).optional().describe('Degrees from north (default 0).'),
  speed: z.number().min(0).optional().describe('km/h (default 0).'),
  satellites: z.int().min(0).max(255).optional().describe('Satellites in use (default 0).'),
});

export const ingestEventSchema = z
  .strictObject({
    deviceId: z
      .string()
      .regex(new RegExp(DEVICE_ID_PATTERN))
      .describe('IMEI or serial: 1..64 letters, digits, . _ : -'),
    eventTime: z.int().min(0).describe('Device clock, ms since 1970-01-01 UTC.'),
    position: ingestPositionSchema,
    priority: z.int().min(0).max(255).optional().describe('0 low (default), 1 high, 2 panic.'),
    eventIoId: z
      .int()
      .min(0)
      .max(MAX_IO_ID)
      .optional()
      .describe('I/O id that triggered the event (default 0).'),
    io: ioSchema
      .optional()
      .describe(
        'I/O element id -> number, decimal string (integers beyond 2^53), or { "hex": "..." } (bytes).',
      ),
    ...wellKnownFieldsShape,
  })
  .meta({ id: 'IngestEvent', description: 'One telemetry event.' });

export const ingestBatchSchema = z
  .strictObject({ events: z.array(ingestEventSchema).min(1).max(MAX_INGEST_BATCH) })
  .meta({ id: 'IngestBatch', description: `A batch of 1..${MAX_INGEST_BATCH} events.` });

/** The body: one event or a batch. */
export const ingestBodySchema = z.union([ingestEventSchema, ingestBatchSchema]);

export type IngestEvent = z.infer<typeof ingestEventSchema>;

/** What {@link validateIngest} says about a body. */
export type IngestResult =
  { ok: true; events: IngestEvent[] } | { ok: false; errors: FieldError[] };

/** The published JSON Schema (draft 2020-12), generated from {@link ingestBodySchema}. */
export function ingestJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(ingestBodySchema, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'throw',
  });
  const { $schema, ...rest } = generated as Record<string, unknown>;
  return {
    $schema,
    $id: INGEST_SCHEMA_ID,
    title: 'fleetstream JSON ingest v1',
    description:
      'One telemetry event, or a batch { "events": [...] }. See libs/telemetry/README.md.',
    ...rest,
  };
}

function pointer(path: readonly PropertyKey[]): string {
  return path.map((p) => `/${String(p).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

function toFieldErrors(issues: readonly z.core.$ZodIssue[]): FieldError[] {
  const errors: FieldError[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        errors.push({ path: pointer([...issue.path, key]), message: 'unknown field' });
    } else {
      errors.push({ path: pointer(issue.path), message: issue.message });
    }
  }
  if (errors.length > MAX_INGEST_ERRORS) {
    const more = errors.length - MAX_INGEST_ERRORS;
    errors.length = MAX_INGEST_ERRORS;
    errors.push({ path: '', message: `${more} more errors not shown` });
  }
  return errors;
}

/**
 * Validates a parsed JSON body (the gateway answers HTTP 400 with `errors`). A body with an
 * "events" key is read as a batch, anything else as one event, so errors point at real fields.
 *
 * @example
 * const result = validateIngest(JSON.parse(body));
 * if (!result.ok) reply.code(400).send({ errors: result.errors });
 */
export function validateIngest(body: unknown): IngestResult {
  const isBatch =
    typeof body === 'object' && body !== null && !Array.isArray(body) && 'events' in body;
  if (isBatch) {
    const parsed = ingestBatchSchema.safeParse(body);
    return parsed.success
      ? { ok: true, events: parsed.data.events }
      : { ok: false, errors: toFieldErrors(parsed.error.issues) };
  }
  const parsed = ingestEventSchema.safeParse(body);
  return parsed.success
    ? { ok: true, events: [parsed.data] }
    : { ok: false, errors: toFieldErrors(parsed.error.issues) };
}

/**
 * Validated ingest events -> TelemetryEvents (schema v1): defaults filled in (0 for missing
 * position parts, priority and eventIoId; {} for io), eventIds as for binary records (occurrence
 * counted within the batch), derived fields from io unless the body gives them explicitly.
 */
export function ingestToTelemetryEvents(
  events: readonly IngestEvent[],
  receivedAt: number,
): TelemetryEvent[] {
  const keys = events.map((e) =>
    eventIdKey({
      deviceId: e.deviceId,
      eventTime: e.eventTime,
      priority: e.priority ?? 0,
      eventIoId: e.eventIoId ?? 0,
      lat: e.position.lat,
      lon: e.position.lon,
    }),
  );
  const seen = occurrences(keys);
  return events.map((e, i) => {
    const io = e.io ?? {};
    const event: TelemetryEvent = {
      schemaVersion: TELEMETRY_EVENT_SCHEMA_VERSION,
      eventId: uuidFromKey(keys[i]!, seen[i]!),
      deviceId: e.deviceId,
      eventTime: e.eventTime,
      receivedAt,
      position: {
        lat: e.position.lat,
        lon: e.position.lon,
        altitude: e.position.altitude ?? 0,
        heading: e.position.heading ?? 0,
        speed: e.position.speed ?? 0,
        satellites: e.position.satellites ?? 0,
      },
      priority: e.priority ?? 0,
      eventIoId: e.eventIoId ?? 0,
      io,
      ...wellKnownFields(io),
    };
    for (const key of Object.keys(wellKnownFieldsShape) as (keyof typeof wellKnownFieldsShape)[]) {
      if (e[key] !== undefined) (event as unknown as Record<string, unknown>)[key] = e[key];
    }
    return event;
  });
}
