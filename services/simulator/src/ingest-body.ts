import type { AvlRecord } from '@fleetstream/telemetry';

/** A record as a JSON ingest v1 event (what an HTTP device posts). */
export function toIngestEvent(deviceId: string, r: AvlRecord): Record<string, unknown> {
  const io: Record<string, number | string> = {};
  for (const e of r.io) io[String(e.id)] = ioValue(e.value);
  return {
    deviceId,
    eventTime: r.timestamp,
    position: { lat: r.latitude, lon: r.longitude, altitude: r.altitude, heading: r.angle, speed: r.speed, satellites: r.satellites },
    priority: r.priority,
    eventIoId: r.eventIoId,
    io,
  };
}

function ioValue(value: AvlRecord['io'][number]['value']): number | string {
  return typeof value === 'number' ? value : typeof value === 'bigint' ? value.toString() : value.toString('hex');
}

/** A finite number as JSON writes it (the template's toString is the same for finite numbers). */
const num = (n: number) => (Number.isFinite(n) ? `${n}` : 'null');

/**
 * `JSON.stringify(toIngestEvent(deviceId, r))`, byte for byte, written directly: no event object
 * and no io object per HTTP packet. Object keys that are array indices come first in ascending
 * order in JSON.stringify, so the io ids are written sorted the same way. Undefined when an io id
 * repeats (the object would keep the last value): the caller then stringifies the objects.
 */
function eventJson(deviceJson: string, r: AvlRecord): string | undefined {
  const ids = isSorted(r.io) ? r.io : [...r.io].sort((a, b) => a.id - b.id);
  let io = '';
  for (let i = 0; i < ids.length; i++) {
    const e = ids[i]!;
    if (i > 0 && e.id === ids[i - 1]!.id) return undefined;
    const v = e.value;
    io += `${i === 0 ? '' : ','}"${e.id}":${typeof v === 'number' ? num(v) : `"${ioValue(v)}"`}`;
  }
  return `{"deviceId":${deviceJson},"eventTime":${num(r.timestamp)},"position":{"lat":${num(r.latitude)},"lon":${num(r.longitude)},"altitude":${num(r.altitude)},"heading":${num(r.angle)},"speed":${num(r.speed)},"satellites":${num(r.satellites)}},"priority":${num(r.priority)},"eventIoId":${num(r.eventIoId)},"io":{${io}}}`;
}

function isSorted(io: AvlRecord['io']): boolean {
  for (let i = 1; i < io.length; i++) if (io[i]!.id < io[i - 1]!.id) return false;
  return true;
}

/** One event, or `{ events }` for several. */
export function ingestBody(deviceId: string, records: readonly AvlRecord[]): Buffer {
  const device = JSON.stringify(deviceId);
  const events: string[] = [];
  for (const r of records) {
    const json = eventJson(device, r);
    if (json === undefined) {
      const objects = records.map((x) => toIngestEvent(deviceId, x));
      return Buffer.from(JSON.stringify(objects.length === 1 ? objects[0] : { events: objects }));
    }
    events.push(json);
  }
  return Buffer.from(events.length === 1 ? events[0]! : `{"events":[${events.join(',')}]}`);
}
