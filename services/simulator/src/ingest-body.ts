import type { AvlRecord } from '@fleetstream/telemetry';

/** A record as a JSON ingest v1 event (what an HTTP device posts). */
export function toIngestEvent(deviceId: string, r: AvlRecord): Record<string, unknown> {
  const io: Record<string, number | string> = {};
  for (const e of r.io) io[String(e.id)] = typeof e.value === 'number' ? e.value : typeof e.value === 'bigint' ? e.value.toString() : e.value.toString('hex');
  return {
    deviceId,
    eventTime: r.timestamp,
    position: { lat: r.latitude, lon: r.longitude, altitude: r.altitude, heading: r.angle, speed: r.speed, satellites: r.satellites },
    priority: r.priority,
    eventIoId: r.eventIoId,
    io,
  };
}

/** One event, or `{ events }` for several. */
export function ingestBody(deviceId: string, records: readonly AvlRecord[]): Buffer {
  const events = records.map((r) => toIngestEvent(deviceId, r));
  return Buffer.from(JSON.stringify(events.length === 1 ? events[0] : { events }));
}
