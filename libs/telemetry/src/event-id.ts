/**
 * Deterministic event ids: the same record always gets the same id, so at-least-once delivery and
 * replays collapse into the same Cassandra rows.
 *
 * eventId = the first 16 bytes of SHA-256 over the UTF-8 text
 *
 *     "fleetstream.event.v1\n" deviceId "\n" eventTime "\n" priority ":" eventIoId ":" latE7 ":" lonE7 ":" occurrence
 *
 * formatted as a UUID with version 8 (RFC 9562 custom) and the RFC variant bits. latE7/lonE7 are
 * the coordinates as integers of 1e-7 degree (the Teltonika wire value; JSON ingest rounds to it),
 * `occurrence` counts earlier records of the same packet or batch with the same device, time,
 * priority, event id and position (0 almost always), so that truly distinct records that agree on
 * all of those still get distinct ids, while a retransmitted packet gets the same ones.
 */
import { hash } from 'node:crypto';

/** The discriminating fields of a record (the id's input besides device and time). */
export interface EventIdInput {
  deviceId: string;
  eventTime: number;
  priority: number;
  eventIoId: number;
  lat: number;
  lon: number;
}

/** The part of the hashed text that {@link occurrence} counts on. */
export function eventIdKey(input: EventIdInput): string {
  const latE7 = Math.round(input.lat * 1e7);
  const lonE7 = Math.round(input.lon * 1e7);
  return `fleetstream.event.v1\n${input.deviceId}\n${input.eventTime}\n${input.priority}:${input.eventIoId}:${latE7}:${lonE7}`;
}

/**
 * The event id for `input`, the `occurrence`-th record (from 0) with this key in its packet.
 *
 * @example eventId({ deviceId: '356307042441013', eventTime: 1560161086000, priority: 1, eventIoId: 1, lat: 0, lon: 0 })
 */
export function eventId(input: EventIdInput, occurrence = 0): string {
  return uuidFromKey(eventIdKey(input), occurrence);
}

const VARIANT = '89ab';

/**
 * UUIDv8 from SHA-256 of `${key}:${occurrence}`: the first 16 bytes, version nibble 8, variant bits
 * 10. Hashes to hex (a string result costs far less than a Buffer from the binding) and sets the bits
 * on the hex digits: digit 12 is the version nibble, digit 16 keeps its low two bits under 0b10.
 */
export function uuidFromKey(key: string, occurrence: number): string {
  const h = uuidHash(key, occurrence);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${uuidVariant(h)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The SHA-256 (hex) that {@link uuidFromKey} formats: its digits 0-11, 13-15 and 17-31 are the id's. */
export function uuidHash(key: string, occurrence: number): string {
  return hash('sha256', `${key}:${occurrence}`, 'hex');
}

/** The id's variant digit from hash digit 16 (its low two bits under 0b10). */
export function uuidVariant(h: string): string {
  return VARIANT[parseInt(h[16]!, 16) & 3]!;
}

/**
 * For each key of a sequence (a packet's records, a batch's events), how many times it appeared
 * before: the `occurrence` argument of {@link uuidFromKey}.
 */
export function occurrences(keys: readonly string[]): number[] {
  if (keys.length === 1) return [0]; // most packets: no map needed
  const seen = new Map<string, number>();
  return keys.map((key) => {
    const n = seen.get(key) ?? 0;
    seen.set(key, n + 1);
    return n;
  });
}
