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

/** UUIDv8 from SHA-256 of `${key}:${occurrence}`. */
export function uuidFromKey(key: string, occurrence: number): string {
  const digest = hash('sha256', `${key}:${occurrence}`, 'buffer');
  digest[6] = (digest[6]! & 0x0f) | 0x80;
  digest[8] = (digest[8]! & 0x3f) | 0x80;
  const h = digest.toString('hex', 0, 16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/**
 * For each key of a sequence (a packet's records, a batch's events), how many times it appeared
 * before: the `occurrence` argument of {@link uuidFromKey}.
 */
export function occurrences(keys: readonly string[]): number[] {
  const seen = new Map<string, number>();
  return keys.map((key) => {
    const n = seen.get(key) ?? 0;
    seen.set(key, n + 1);
    return n;
  });
}
