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

/** The ASCII bytes of a constant piece of JSON (copied byte by byte: no string walk per write). */
const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

const HEAD = ascii(`{"schemaVersion":${TELEMETRY_EVENT_SCHEMA_VERSION},"eventId":"`);
const DEVICE_ID = ascii('","deviceId":"');
const EVENT_TIME = ascii('","eventTime":');
const RECEIVED_AT = ascii(',"receivedAt":');
const LAT = ascii(',"position":{"lat":');
const LON = ascii(',"lon":');
const ALTITUDE = ascii(',"altitude":');
const HEADING = ascii(',"heading":');
const SPEED = ascii(',"speed":');
const SATELLITES = ascii(',"satellites":');
const PRIORITY = ascii('},"priority":');
const EVENT_IO_ID = ascii(',"eventIoId":');
const IO = ascii(',"io":');
const HEX = ascii('{"hex":"');
const IGNITION = ascii(',"ignition":');
const MOVEMENT = ascii(',"movement":');
const EXTERNAL_VOLTAGE = ascii(',"externalVoltage":');
const BATTERY_VOLTAGE = ascii(',"batteryVoltage":');
const ENGINE_HOURS = ascii(',"engineHours":');
const ODOMETER = ascii(',"odometer":');
const FUEL_LEVEL = ascii(',"fuelLevel":');
const GENERATION_TYPE = ascii(',"generationType":');
const TRUE = ascii('true');
const FALSE = ascii('false');
const NULL = ascii('null');
const QUOTE = 0x22;
const COLON = 0x3a;
const COMMA = 0x2c;
const DASH = 0x2d;
/** Integers up to this are written digit by digit (% 10 and / 10 stay exact); `${n}` writes them as plain digits. */
const SAFE = Number.MAX_SAFE_INTEGER;

/**
 * JSON texts written as bytes into blocks, each text handed out as a view of its block: no string
 * per text (a long template literal is a tree of string pieces that the Kafka client would flatten,
 * measure and encode again). A block is never written over, so a view stays valid however long
 * it is kept (a produce retried); a text that does not fit the rest of a block moves to a new one.
 *
 * Constant pieces are copied from their bytes and integers written as digits straight into the
 * block (issue #21: walking each piece's characters and formatting each number to a string was
 * the largest cost of parse's transform, and the strings a large part of its garbage).
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

  /** Appends bytes (a constant piece of JSON). */
  bytes(b: Uint8Array): void {
    const n = b.length;
    if (this.at + n > this.buf.length) this.grow(n);
    const buf = this.buf;
    let at = this.at;
    for (let i = 0; i < n; i++) buf[at++] = b[i]!;
    this.at = at;
  }

  /** Appends one ASCII character. */
  byte(c: number): void {
    if (this.at + 1 > this.buf.length) this.grow(1);
    this.buf[this.at++] = c;
  }

  /** Appends `n` as JSON.stringify writes it (`${n}`; null when not finite). */
  number(n: number): void {
    if (Number.isFinite(n)) this.decimal(n);
    else this.bytes(NULL);
  }

  /**
   * Appends `${n}`. Safe integers are written digit by digit; so are numbers that are a whole count
   * of 1e-7 (Teltonika's coordinates, voltages in mV / 1000): for |n| from 1e-6 to 1e8, `${n}` is
   * the shortest decimal that reads back as n, and when n is the double nearest to x / 1e7 that is
   * x's digits with the point moved 7 places (any other decimal of at most 7 places differs from it
   * by 1e-7 or more, far more than n's spacing), trailing zeros dropped. Anything else goes through
   * its string.
   */
  decimal(n: number): void {
    if (Number.isInteger(n)) {
      if (n <= SAFE && n >= -SAFE) return this.integer(n);
    } else {
      const x = Math.round(n * 1e7);
      if (x / 1e7 === n && (x >= 10 || x <= -10) && x <= 1e15 && x >= -1e15) return this.e7(x);
    }
    this.text(`${n}`);
  }

  /** Appends a safe integer's digits, as `${n}` writes them (-0 as 0). */
  private integer(n: number): void {
    // 16 digits and a sign at most
    if (this.at + 17 > this.buf.length) this.grow(17);
    if (n < 0) {
      this.buf[this.at++] = DASH;
      n = -n;
    }
    this.whole(n);
  }

  /** Appends x / 1e7 as `${x / 1e7}` writes it (10 <= |x| <= 1e15, see decimal). */
  private e7(x: number): void {
    // a sign, 8 integer digits (n is not an integer, so |n| < 1e8), the point and 7 decimals at most
    if (this.at + 17 > this.buf.length) this.grow(17);
    const buf = this.buf;
    if (x < 0) {
      buf[this.at++] = DASH;
      x = -x;
    }
    let int = Math.floor(x / 1e7);
    let frac = x - int * 1e7;
    if (frac < 0) {
      int -= 1;
      frac += 1e7;
    } else if (frac >= 1e7) {
      int += 1;
      frac -= 1e7;
    }
    this.whole(int);
    if (frac === 0) return;
    let digits = 7;
    for (let q = (frac / 10) | 0; q * 10 === frac; q = (frac / 10) | 0) {
      frac = q;
      digits--;
    }
    buf[this.at++] = 0x2e;
    this.padded(frac, digits);
  }

  /** Writes a non-negative safe integer's digits (room already made). */
  private whole(n: number): void {
    if (n < 0x80000000) return this.small(n);
    // two int32 halves: the digits above the last 8, then the last 8 with their zeros
    let hi = Math.floor(n / 1e8);
    let lo = n - hi * 1e8;
    if (lo < 0) {
      hi -= 1;
      lo += 1e8;
    } else if (lo >= 1e8) {
      hi += 1;
      lo -= 1e8;
    }
    this.small(hi);
    this.padded(lo, 8);
  }

  /** Writes the digits of 0 <= n < 2^31 (room already made). */
  private small(n: number): void {
    let digits = 1;
    for (let p = 10; p <= n && digits < 10; p *= 10) digits++;
    this.padded(n, digits);
  }

  /** Writes 0 <= n < 2^31 as exactly `digits` digits, zeros first (room already made). */
  private padded(n: number, digits: number): void {
    const buf = this.buf;
    let end = this.at + digits;
    this.at = end;
    for (let i = 0; i < digits; i++) {
      const q = (n / 10) | 0;
      buf[--end] = 48 + n - q * 10;
      n = q;
    }
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

/** An io value as JSON (ioValueText's bytes). */
function writeIoValue(w: JsonBytes, value: IoValue): void {
  if (typeof value === 'number') w.number(value);
  else if (typeof value === 'bigint') {
    if (value <= MAX_SAFE && value >= -MAX_SAFE) w.number(Number(value));
    else {
      w.byte(QUOTE);
      w.text(value.toString());
      w.byte(QUOTE);
    }
  } else {
    w.bytes(HEX);
    w.text(value.toString('hex'));
    w.byte(QUOTE);
    w.byte(0x7d);
  }
}

/** Scratch for writeIo's order (io lists are short; one array for every record). */
let order = new Int32Array(64);

/** The io object (ioText's bytes): ids ascending, a repeated id with its last value. */
function writeIo(w: JsonBytes, io: AvlRecord['io']): void {
  const n = io.length;
  if (n > order.length) order = new Int32Array(n * 2);
  // indices sorted by (id, position): insertion sort, io lists are short
  for (let i = 0; i < n; i++) {
    let j = i;
    const id = io[i]!.id;
    while (j > 0 && io[order[j - 1]!]!.id > id) {
      order[j] = order[j - 1]!;
      j--;
    }
    order[j] = i;
  }
  w.byte(0x7b);
  let first = true;
  for (let k = 0; k < n; k++) {
    const e = io[order[k]!]!;
    if (k + 1 < n && io[order[k + 1]!]!.id === e.id) continue; // a later duplicate wins
    if (!first) w.byte(COMMA);
    first = false;
    w.byte(QUOTE);
    w.decimal(e.id);
    w.byte(QUOTE);
    w.byte(COLON);
    writeIoValue(w, e.value);
  }
  w.byte(0x7d);
}

/** The derived fields (derivedText's bytes: wellKnownFields, same order and rules). */
function writeDerived(w: JsonBytes, io: AvlRecord['io']): void {
  const ignition = numberOf(io, 239);
  if (ignition !== undefined) {
    w.bytes(IGNITION);
    w.bytes(ignition !== 0 ? TRUE : FALSE);
  }
  const movement = numberOf(io, 240);
  if (movement !== undefined) {
    w.bytes(MOVEMENT);
    w.bytes(movement !== 0 ? TRUE : FALSE);
  }
  const external = numberOf(io, 66);
  if (external !== undefined) {
    w.bytes(EXTERNAL_VOLTAGE);
    w.number(external / 1000);
  }
  const battery = numberOf(io, 67);
  if (battery !== undefined) {
    w.bytes(BATTERY_VOLTAGE);
    w.number(battery / 1000);
  }
  const ignitionOnSeconds = numberOf(io, 449);
  const worktimeMinutes = numberOf(io, 103);
  if (ignitionOnSeconds !== undefined && ignitionOnSeconds >= 0) {
    w.bytes(ENGINE_HOURS);
    w.number(ignitionOnSeconds / 3600);
  } else if (worktimeMinutes !== undefined && worktimeMinutes >= 0) {
    w.bytes(ENGINE_HOURS);
    w.number(worktimeMinutes / 60);
  }
  const odometer = numberOf(io, 16);
  if (odometer !== undefined && odometer >= 0) {
    w.bytes(ODOMETER);
    w.number(odometer);
  }
  const fuel = numberOf(io, 89) ?? numberOf(io, 48);
  if (fuel !== undefined && fuel >= 0) {
    w.bytes(FUEL_LEVEL);
    w.number(fuel);
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
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    w.bytes(HEAD);
    // the id as uuidFromKey formats it
    const h = uuidHash(keys[i]!, seen[i]!);
    w.ascii(h, 0, 8);
    w.byte(DASH);
    w.ascii(h, 8, 12);
    w.byte(DASH);
    w.byte(0x38); // '8', the version
    w.ascii(h, 13, 16);
    w.byte(DASH);
    w.byte(uuidVariant(h).charCodeAt(0));
    w.ascii(h, 17, 20);
    w.byte(DASH);
    w.ascii(h, 20, 32);
    w.bytes(DEVICE_ID);
    // valid device ids (recordKeys checked) are ASCII
    w.text(deviceId);
    w.bytes(EVENT_TIME);
    w.number(r.timestamp);
    w.bytes(RECEIVED_AT);
    w.number(receivedAt);
    w.bytes(LAT);
    w.number(r.latitude);
    w.bytes(LON);
    w.number(r.longitude);
    w.bytes(ALTITUDE);
    w.number(r.altitude);
    w.bytes(HEADING);
    w.number(r.angle);
    w.bytes(SPEED);
    w.number(r.speed);
    w.bytes(SATELLITES);
    w.number(r.satellites);
    w.bytes(PRIORITY);
    w.number(r.priority);
    w.bytes(EVENT_IO_ID);
    w.number(r.eventIoId);
    w.bytes(IO);
    writeIo(w, r.io);
    writeDerived(w, r.io);
    if (r.generationType !== undefined) {
      w.bytes(GENERATION_TYPE);
      w.number(r.generationType);
    }
    w.byte(0x7d);
    out.push(w.take());
  }
  return records.length;
}
