import type cassandra from 'cassandra-driver';
import { StoreError } from './errors.ts';
import { dayOf } from './event.ts';

/** One stored position as the read path returns it. */
export interface PositionRow {
  deviceId: string;
  eventTime: Date;
  eventId: string;
  lat: number;
  lon: number;
  speed: number | null;
  heading: number | null;
  ignition: boolean | null;
  assetId: string | null;
  enrichment: string | null;
}

/** Which positions: newest first, at most `limit`, optionally within [from, to] (ms, inclusive). */
export interface PositionsQuery {
  deviceId: string;
  from?: number;
  to?: number;
  limit: number;
}

/**
 * Reads a device's positions newest first: the day index (device_days, newest first, within the
 * range when one is given) then each day's partition of positions_by_device_day, until `limit` rows.
 * Serves both "the last N positions" and "positions in a time range" without scanning empty days.
 */
export async function readPositions(client: cassandra.Client, keyspace: string, q: PositionsQuery): Promise<PositionRow[]> {
  if (!(Number.isInteger(q.limit) && q.limit >= 1)) throw new StoreError('STORE_QUERY_INVALID', 'limit must be an integer >= 1');
  if (q.from !== undefined && q.to !== undefined && q.from > q.to) throw new StoreError('STORE_QUERY_INVALID', 'from is after to');
  const dayParams: unknown[] = [q.deviceId];
  let dayCql = `SELECT day FROM ${keyspace}.device_days WHERE device_id = ?`;
  if (q.from !== undefined) {
    dayCql += ' AND day >= ?';
    dayParams.push(dayOf(q.from));
  }
  if (q.to !== undefined) {
    dayCql += ' AND day <= ?';
    dayParams.push(dayOf(q.to));
  }
  const days = (await client.execute(dayCql, dayParams, { prepare: true, fetchSize: 5000 })).rows.map((r) => String(r.day));

  const rows: PositionRow[] = [];
  let posCql = `SELECT device_id, event_time, event_id, lat, lon, speed, heading, ignition, asset_id, enrichment FROM ${keyspace}.positions_by_device_day WHERE device_id = ? AND day = ?`;
  if (q.from !== undefined) posCql += ' AND event_time >= ?';
  if (q.to !== undefined) posCql += ' AND event_time <= ?';
  posCql += ' LIMIT ?';
  for (const day of days) {
    const need = q.limit - rows.length;
    if (need <= 0) break;
    const params: unknown[] = [q.deviceId, day];
    if (q.from !== undefined) params.push(new Date(q.from));
    if (q.to !== undefined) params.push(new Date(q.to));
    params.push(need);
    const rs = await client.execute(posCql, params, { prepare: true, fetchSize: Math.min(need, 5000), autoPage: true });
    for (const r of rs.rows) {
      rows.push({
        deviceId: String(r.device_id),
        eventTime: r.event_time as Date,
        eventId: String(r.event_id),
        lat: Number(r.lat),
        lon: Number(r.lon),
        speed: (r.speed as number | null) ?? null,
        heading: (r.heading as number | null) ?? null,
        ignition: (r.ignition as boolean | null) ?? null,
        assetId: (r.asset_id as string | null) ?? null,
        enrichment: (r.enrichment as string | null) ?? null,
      });
    }
  }
  return rows.slice(0, q.limit);
}
