/**
 * The decoded shape of Teltonika AVL data: codec ids, records and I/O elements. Shared by the TCP
 * and UDP framings (teltonika-tcp.ts, teltonika-udp.ts) and the record codec (avl-data.ts).
 */

/** Codec 8: 1-byte I/O ids and counts. */
export const CODEC_8 = 0x08;
/** Codec 8 Extended: 2-byte I/O ids and counts, plus variable-length (NX) elements. */
export const CODEC_8_EXTENDED = 0x8e;
/** Codec 16: 2-byte I/O ids, 1-byte counts, and a generation type byte. */
export const CODEC_16 = 0x10;

/** The AVL data codecs this package decodes and encodes. */
export const AVL_CODEC_IDS = [CODEC_8, CODEC_8_EXTENDED, CODEC_16] as const;
export type AvlCodecId = (typeof AVL_CODEC_IDS)[number];

/** Whether `id` is one of {@link AVL_CODEC_IDS}. */
export function isAvlCodecId(id: number): id is AvlCodecId {
  return id === CODEC_8 || id === CODEC_8_EXTENDED || id === CODEC_16;
}

const CODEC_NAMES: Record<number, string> = {
  0x08: 'Codec 8',
  0x8e: 'Codec 8 Extended',
  0x10: 'Codec 16',
  0x0c: 'Codec 12 (GPRS commands)',
  0x0d: 'Codec 13 (GPRS commands with timestamp)',
  0x0e: 'Codec 14 (GPRS commands with IMEI)',
  0x0f: 'Codec 15 (FMX6 RS232 messages)',
};

/** Human name of a codec id ("Codec 8 Extended"), or "codec 0x42" when unknown. */
export function codecName(id: number): string {
  return CODEC_NAMES[id] ?? `codec 0x${id.toString(16).padStart(2, '0')}`;
}

/**
 * One I/O element, as on the wire. `width` is its group: 1, 2, 4 or 8 bytes, or 'nx' (Codec 8
 * Extended variable length). Values are unsigned as sent (an element's signedness and scale depend
 * on its id and the device model): groups 1, 2 and 4 give a number, group 8 always a bigint (exact),
 * NX the bytes (a copy, not a view into the packet).
 */
export type IoElement =
  | { readonly id: number; readonly width: 1 | 2 | 4; readonly value: number }
  | { readonly id: number; readonly width: 8; readonly value: bigint }
  | { readonly id: number; readonly width: 'nx'; readonly value: Buffer };

export type IoWidth = IoElement['width'];
export type IoValue = IoElement['value'];

/**
 * One AVL record. The I/O elements are kept as the ordered list the device sent (group by group),
 * not a map: that is what lets encode(decode(bytes)) reproduce the bytes exactly, even when a
 * device repeats an id. Use {@link ioMap} for lookups.
 */
export interface AvlRecord {
  /** Device clock, ms since 1970-01-01 UTC. */
  timestamp: number;
  /** 0 low, 1 high, 2 panic. */
  priority: number;
  /** Signed degrees (wire: int32 / 1e7). */
  longitude: number;
  /** Signed degrees (wire: int32 / 1e7). */
  latitude: number;
  /** Metres above sea level (wire: int16). */
  altitude: number;
  /** Heading in degrees from north, 0..360. */
  angle: number;
  satellites: number;
  /** km/h; 0 when the GNSS fix is invalid. */
  speed: number;
  /** The I/O id that triggered the record, 0 for periodic records. */
  eventIoId: number;
  /** Codec 16 only: 0 on exit, 1 on entrance, 2 on both, 4 hysteresis, 5 on change, 6 eventual, 7 periodical. */
  generationType?: number;
  io: IoElement[];
}

/** A decoded AVL data packet (the part common to TCP and UDP). */
export interface AvlPacket {
  codecId: AvlCodecId;
  records: AvlRecord[];
}

/** What the encoders and toTelemetryEvents accept: an AvlPacket, read-only arrays allowed. */
export interface AvlPacketInput {
  readonly codecId: AvlCodecId;
  readonly records: readonly AvlRecord[];
}

/** The I/O elements of a record as a map id -> value (a later duplicate id wins). */
export function ioMap(record: AvlRecord): Map<number, IoValue> {
  const map = new Map<number, IoValue>();
  for (const element of record.io) map.set(element.id, element.value);
  return map;
}
