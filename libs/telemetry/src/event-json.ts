/**
 * The parse hot path: AVL records straight to the JSON text of their TelemetryEvents, without
 * building event objects and without the generic JSON.stringify. The text is exactly what
 * `JSON.stringify(toTelemetryEvents(...)[i])` writes (encodeEvent), byte for byte — a property test
 * over every codec keeps the two equal — so consumers and replays cannot tell the difference:
 *
 *     {"schemaVersion":1,"eventId":"…","deviceId":"…","eventTime":…,"receivedAt":…,
 *      "position":{"lat":…,"lon":…,"altitude":…,"heading":…,"speed":…,"satellites":…},
 *      "priority":…,"eventIoId":…,"io":{…},<derived fields>,"generationType":…}
 *
 * Key order is JSON.stringify's: insertion order for named keys, ascending numeric order for io ids
 * (integer-like keys), a repeated io id keeping its last value. Derived fields follow
 * wellKnownFields (telemetry-events.ts) in its order.
 */
import type { AvlPacketInput, AvlRecord, IoValue } from './avl-record.ts';
import { TELEMETRY_EVENT_SCHEMA_VERSION } from './event.ts';
import { occurrences, uuidFromKey, uuidHash, uuidVariant } from './event-id.ts';
import { recordKeys } from './telemetry-events.ts';

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** A number as JSON.stringify writes it (non-finite numbers become null). */
function num(n: number): string {
  return Number.isFinite(n) ? `${n}` : 'null';
}

/** An io value as JSON (ioValueToJson + JSON.stringify). */
function ioValueText(value: IoValue): string {
  if (typeof value === 'number') return num(value);
  if (typeof value === 'bigint') return value <= MAX_SAFE && value >= -MAX_SAFE ? value.toString() : `"${value.toString()}"`;
  return `{"hex":"${value.toString('hex')}"}`;
}

/** The resolved number of an io id (last occurrence wins), or undefined when absent or not a number. */
function numberOf(io: AvlRecord['io'], id: number): number | undefined {
  for (let i = io.length - 1; i >= 0; i--) {
    const e = io[i]!;
    if (e.id !== id) continue;
    const v = e.value;
    if (typeof v === 'number') return v;
    if (typeof v === 'bigint') return v <= MAX_SAFE && v >= -MAX_SAFE ? Number(v) : undefined;
    return undefined;
  }
  return undefined;
}

/** The io object's text: ids ascending, a repeated id with its last value. */
function ioText(io: AvlRecord['io']): string {
  const n = io.length;
  if (n === 0) return '{}';
  // indices sorted by (id, position): insertion sort, io lists are short
  const order = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    let j = i;
    const id = io[i]!.id;
    while (j > 0 && io[order[j - 1]!]!.id > id) {
      order[j] = order[j - 1]!;
      j--;
    }
    order[j] = i;
  }
  let text = '{';
  for (let k = 0; k < n; k++) {
    const e = io[order[k]!]!;
    if (k + 1 < n && io[order[k + 1]!]!.id === e.id) continue; // a later duplicate wins
    text += `${text.length > 1 ? ',' : ''}"${e.id}":${ioValueText(e.value)}`;
  }
  return `${text}}`;
}

/** The derived fields' text (wellKnownFields, same order and rules), each with a leading comma. */
function derivedText(io: AvlRecord['io']): string {
  let text = '';
  const ignition = numberOf(io, 239);
  if (ignition !== undefined) text += `,"ignition":${ignition !== 0}`;
  const movement = numberOf(io, 240);
  if (movement !== undefined) text += `,"movement":${movement !== 0}`;
  const external = numberOf(io, 66);
  if (external !== undefined) text += `,"externalVoltage":${num(external / 1000)}`;
  const battery = numberOf(io, 67);
  if (battery !== undefined) text += `,"batteryVoltage":${num(battery / 1000)}`;
  const ignitionOnSeconds = numberOf(io, 449);
  const worktimeMinutes = numberOf(io, 103);
  if (ignitionOnSeconds !== undefined && ignitionOnSeconds >= 0) text += `,"engineHours":${num(ignitionOnSeconds / 3600)}`;
  else if (worktimeMinutes !== undefined && worktimeMinutes >= 0) text += `,"engineHours":${num(worktimeMinutes / 60)}`;
  const odometer = numberOf(io, 16);
  if (odometer !== undefined && odometer >= 0) text += `,"odometer":${num(odometer)}`;
  const fuel = numberOf(io, 89) ?? numberOf(io, 48);
  if (fuel !== undefined && fuel >= 0) text += `,"fuelLevel":${num(fuel)}`;
  return text;
}

/**
 * The JSON text of each TelemetryEvent of `packet` (what `toTelemetryEvents` then `encodeEvent`
 * give, as strings), appended to `out` in record order; returns how many were appended. Same checks
 * and errors as toTelemetryEvents (TELEMETRY_SCHEMA_INVALID device id, TELEMETRY_OUT_OF_RANGE): on an error nothing is
 * appended. Every character is ASCII (device ids are checked, the rest are numbers, hex and
 * names), so a text's length is its UTF-8 byte length.
 *
 * @example const texts: string[] = []; telemetryEventsJson(imei, Date.now(), decodeTcpPacket(frame), texts);
 */
export function telemetryEventsJson(deviceId: string, receivedAt: number, packet: AvlPacketInput, out: string[]): number {
  const { records } = packet;
  const keys = recordKeys(deviceId, records);
  const seen = occurrences(keys);
  const head = `{"schemaVersion":${TELEMETRY_EVENT_SCHEMA_VERSION},"eventId":"`;
  const device = `","deviceId":"${deviceId}","eventTime":`;
  const received = `,"receivedAt":${num(receivedAt)},"position":{"lat":`;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    let text =
      `${head}${uuidFromKey(keys[i]!, seen[i]!)}${device}${num(r.timestamp)}${received}${num(r.latitude)},"lon":${num(r.longitude)}` +
      `,"altitude":${num(r.altitude)},"heading":${num(r.angle)},"speed":${num(r.speed)},"satellites":${num(r.satellites)}}` +
      `,"priority":${num(r.priority)},"eventIoId":${num(r.eventIoId)},"io":${ioText(r.io)}${derivedText(r.io)}`;
    if (r.generationType !== undefined) text += `,"generationType":${num(r.generationType)}`;
    out.push(`${text}}`);
  }
  return records.length;
}

/**
 * JSON texts written as bytes into blocks, each text handed out as a view of its block: no string
 * per text (a long template literal is a tree of string pieces that the Kafka client would flatten,
 * measure and encode again). A block is never written over, so a view stays valid however long
 * it is kept (a produce retried); a text that does not fit the rest of a block moves to a new one.
 *
 * @example const w = new JsonBytes(); const views: Buffer[] = []; telemetryEventsJsonBytes(imei, Date.now(), packet, w, views);
 */
export class JsonBytes {
  buf: Buffer = Buffer.allocUnsafe(0);
  at = 0;
  start = 0;
  readonly blockSize: number;
  constructor(blockSize = 256 * 1024) {
    this.blockSize = blockSize;
  }

  /** Appends `s`: ASCII one byte per character, anything else as UTF-8. */
  text(s: string): void {
    const n = s.length;
    // 3 bytes per UTF-16 unit at most
    if (this.at + n * 3 > this.buf.length) this.grow(n * 3);
    const buf = this.buf;
    let at = this.at;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        this.at = at + buf.write(s.slice(i), at, 'utf8');
        return;
      }
      buf[at++] = c;
    }
    this.at = at;
  }

  /** Appends characters `from` .. `to` - 1 of an ASCII string (hex digits). */
  ascii(s: string, from: number, to: number): void {
    if (this.at + to - from > this.buf.length) this.grow(to - from);
    const buf = this.buf;
    let at = this.at;
    for (let i = from; i < to; i++) buf[at++] = s.charCodeAt(i);
    this.at = at;
  }

  /** The text written since the last call (or the first write), as a view. */
  take(): Buffer {
    const view = this.buf.subarray(this.start, this.at);
    this.start = this.at;
    return view;
  }

  /** A block with room for the text begun and `n` more bytes. */
  private grow(n: number): void {
    const begun = this.at - this.start;
    const next = Buffer.allocUnsafe(Math.max(this.blockSize, (begun + n) * 2));
    this.buf.copy(next, 0, this.start, this.at);
    this.buf = next;
    this.start = 0;
    this.at = begun;
  }
}

/**
 * What {@link telemetryEventsJson} writes, as bytes: each event's JSON text written by `w` and its
 * view appended to `out`, the same bytes as the UTF-8 of telemetryEventsJson's strings (a property
 * test keeps the two equal). Same checks and errors; on an error nothing is appended or written.
 */
export function telemetryEventsJsonBytes(deviceId: string, receivedAt: number, packet: AvlPacketInput, w: JsonBytes, out: Buffer[]): number {
  const { records } = packet;
  const keys = recordKeys(deviceId, records);
  const seen = occurrences(keys);
  const head = `{"schemaVersion":${TELEMETRY_EVENT_SCHEMA_VERSION},"eventId":"`;
  const device = `","deviceId":"${deviceId}","eventTime":`;
  const received = `,"receivedAt":${num(receivedAt)},"position":{"lat":`;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    w.text(head);
    // the id as uuidFromKey formats it
    const h = uuidHash(keys[i]!, seen[i]!);
    w.ascii(h, 0, 8);
    w.text('-');
    w.ascii(h, 8, 12);
    w.text('-8');
    w.ascii(h, 13, 16);
    w.text('-');
    w.text(uuidVariant(h));
    w.ascii(h, 17, 20);
    w.text('-');
    w.ascii(h, 20, 32);
    w.text(device);
    w.text(num(r.timestamp));
    w.text(received);
    w.text(num(r.latitude));
    w.text(',"lon":');
    w.text(num(r.longitude));
    w.text(',"altitude":');
    w.text(num(r.altitude));
    w.text(',"heading":');
    w.text(num(r.angle));
    w.text(',"speed":');
    w.text(num(r.speed));
    w.text(',"satellites":');
    w.text(num(r.satellites));
    w.text('},"priority":');
    w.text(num(r.priority));
    w.text(',"eventIoId":');
    w.text(num(r.eventIoId));
    w.text(',"io":');
    w.text(ioText(r.io));
    w.text(derivedText(r.io));
    if (r.generationType !== undefined) {
      w.text(',"generationType":');
      w.text(num(r.generationType));
    }
    w.text('}');
    out.push(w.take());
  }
  return records.length;
}
