/**
 * Hand-written validators equivalent to the zod schemas of event.ts, for the hot path (zod is
 * several times slower per event; see bench/). They stop at the first problem and say where.
 */
import {
  DECIMAL_PATTERN,
  DEVICE_ID_PATTERN,
  ENRICHMENT_STATUSES,
  HEX_PATTERN,
  IO_ID_PATTERN,
  MAX_IO_ID,
} from './event.ts';

/** One validation problem: a JSON Pointer (RFC 6901) to the field, and what is wrong. */
export interface FieldError {
  path: string;
  message: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DEVICE_ID = new RegExp(DEVICE_ID_PATTERN);
const IO_ID = new RegExp(IO_ID_PATTERN);
const DECIMAL = new RegExp(DECIMAL_PATTERN);
const HEX = new RegExp(HEX_PATTERN);
const WELL_KNOWN_BOOLEANS = ['ignition', 'movement'] as const;
const WELL_KNOWN_NUMBERS = ['externalVoltage', 'batteryVoltage'] as const;
const WELL_KNOWN_NON_NEGATIVE = ['engineHours', 'odometer', 'fuelLevel'] as const;

type Obj = Record<string, unknown>;

function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function fail(path: string, message: string): FieldError {
  return { path, message };
}

function checkNumber(
  obj: Obj,
  key: string,
  path: string,
  min = -Infinity,
  max = Infinity,
  integer = false,
): FieldError | undefined {
  const v = obj[key];
  if (!isNumber(v)) return fail(`${path}/${key}`, 'must be a number');
  if (integer && !Number.isSafeInteger(v)) return fail(`${path}/${key}`, 'must be an integer');
  if (v < min || v > max) return fail(`${path}/${key}`, `must be within ${min}..${max}`);
  return undefined;
}

/** Checks an io map: ids 0..65535 as decimal keys; values number | decimal string | { hex }. */
export function checkIo(io: unknown, path: string): FieldError | undefined {
  if (!isObject(io)) return fail(path, 'must be an object of io id -> value');
  for (const key in io) {
    if (!IO_ID.test(key)) return fail(`${path}/${key}`, `io id must be a decimal 0..${MAX_IO_ID}`);
    const v = io[key];
    if (isNumber(v)) continue;
    if (typeof v === 'string') {
      if (!DECIMAL.test(v))
        return fail(`${path}/${key}`, 'a string io value must be a decimal integer');
      continue;
    }
    if (isObject(v)) {
      const keys = Object.keys(v);
      if (keys.length === 1 && keys[0] === 'hex' && typeof v.hex === 'string' && HEX.test(v.hex))
        continue;
      return fail(`${path}/${key}`, 'a bytes io value must be { "hex": "<lowercase hex bytes>" }');
    }
    return fail(`${path}/${key}`, 'must be a number, a decimal string or { "hex": ... }');
  }
  return undefined;
}

/** The optional derived fields (ignition, movement, voltages, engineHours, odometer, fuelLevel). */
export function checkWellKnown(obj: Obj, path: string): FieldError | undefined {
  for (const key of WELL_KNOWN_BOOLEANS) {
    if (obj[key] !== undefined && typeof obj[key] !== 'boolean')
      return fail(`${path}/${key}`, 'must be a boolean');
  }
  for (const key of WELL_KNOWN_NUMBERS) {
    if (obj[key] !== undefined && !isNumber(obj[key]))
      return fail(`${path}/${key}`, 'must be a number');
  }
  for (const key of WELL_KNOWN_NON_NEGATIVE) {
    if (obj[key] !== undefined) {
      const problem = checkNumber(obj, key, path, 0);
      if (problem) return problem;
    }
  }
  return undefined;
}

function checkPosition(position: unknown, path: string): FieldError | undefined {
  if (!isObject(position)) return fail(path, 'must be an object');
  return (
    checkNumber(position, 'lat', path, -90, 90) ??
    checkNumber(position, 'lon', path, -180, 180) ??
    checkNumber(position, 'altitude', path) ??
    checkNumber(position, 'heading', path, 0, 360) ??
    checkNumber(position, 'speed', path, 0) ??
    checkNumber(position, 'satellites', path, 0, 255, true)
  );
}

/** First problem with `value` as a TelemetryEvent v1, or undefined when it is one. */
export function checkTelemetryEvent(value: unknown): FieldError | undefined {
  if (!isObject(value)) return fail('', 'an event must be a JSON object');
  if (value.schemaVersion !== 1) return fail('/schemaVersion', 'must be 1');
  if (typeof value.eventId !== 'string' || !UUID.test(value.eventId))
    return fail('/eventId', 'must be a lowercase UUID');
  if (typeof value.deviceId !== 'string' || !DEVICE_ID.test(value.deviceId)) {
    return fail('/deviceId', 'must be 1..64 letters, digits or . _ : -');
  }
  const problem =
    checkNumber(value, 'eventTime', '', 0, Number.MAX_SAFE_INTEGER, true) ??
    checkNumber(value, 'receivedAt', '', 0, Number.MAX_SAFE_INTEGER, true) ??
    checkPosition(value.position, '/position') ??
    checkNumber(value, 'priority', '', 0, 255, true) ??
    checkNumber(value, 'eventIoId', '', 0, MAX_IO_ID, true) ??
    (value.generationType === undefined
      ? undefined
      : checkNumber(value, 'generationType', '', 0, 255, true)) ??
    checkIo(value.io, '/io') ??
    checkWellKnown(value, '');
  return problem;
}

function checkNullableText(obj: Obj, key: string, path: string): FieldError | undefined {
  const v = obj[key];
  return v === null || typeof v === 'string'
    ? undefined
    : fail(`${path}/${key}`, 'must be a string or null');
}

/** Checks the `asset` of an EnrichedEvent: null, or an object with assetId and the other asset fields. */
export function checkAssetFields(asset: unknown, path: string): FieldError | undefined {
  if (asset === null) return undefined;
  if (!isObject(asset)) return fail(path, 'must be an object or null');
  if (typeof asset.assetId !== 'string') return fail(`${path}/assetId`, 'must be a string');
  const problem =
    checkNullableText(asset, 'customerId', path) ??
    checkNullableText(asset, 'model', path) ??
    checkNullableText(asset, 'owner', path);
  if (problem) return problem;
  if (!Array.isArray(asset.tags) || !asset.tags.every((t) => typeof t === 'string')) {
    return fail(`${path}/tags`, 'must be an array of strings');
  }
  return undefined;
}

/** First problem with `value` as an EnrichedEvent v1, or undefined when it is one. */
export function checkEnrichedEvent(value: unknown): FieldError | undefined {
  const base = checkTelemetryEvent(value);
  if (base) return base;
  const obj = value as Obj;
  const problem = checkAssetFields(obj.asset, '/asset');
  if (problem) return problem;
  if (!(ENRICHMENT_STATUSES as readonly unknown[]).includes(obj.enrichment)) {
    return fail('/enrichment', `must be one of ${ENRICHMENT_STATUSES.join(', ')}`);
  }
  return undefined;
}
