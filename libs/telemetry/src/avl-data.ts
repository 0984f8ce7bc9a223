/**
 * Bytes -> AVL records for Codec 8, 8 Extended and 16: the part of a packet from the codec id to
 * "number of data 2", identical in the TCP and UDP framings. Encoding: avl-data-encode.ts.
 */
import { TelemetryError } from './errors.ts';
import { codecName, isAvlCodecId } from './avl-record.ts';
import type { AvlCodecId, AvlPacket, AvlRecord, IoElement } from './avl-record.ts';
import { GPS, LAYOUTS, TWO_32, WIDTHS } from './avl-layout.ts';

/** Codec id + number of data 1 + number of data 2: the smallest possible AVL data. */
export const MIN_DATA_LENGTH = 3;
/** Timestamp high word limit for a safe integer of ms. */
const MAX_SAFE_HI = 0x1fffff;

function truncated(at: number, what: string, need: number, end: number): TelemetryError {
  return new TelemetryError(
    'TELEMETRY_TRUNCATED',
    `${what} needs ${need} bytes at byte ${at}, the data ends at byte ${end}`,
    {
      offset: at,
      details: { field: what, needed: need, end },
    },
  );
}

/**
 * Appends `n` elements of one fixed-width group at `pos` (bounds already checked). One loop per
 * width keeps the inner loops monomorphic; 8-byte values avoid the three BigInts of
 * readBigUInt64BE when the high word is zero (the common case).
 */
function readGroup(
  buf: Buffer,
  pos: number,
  n: number,
  idSize: 1 | 2,
  width: 1 | 2 | 4 | 8,
  io: IoElement[],
): void {
  const stride = idSize + width;
  const end = pos + n * stride;
  if (width === 1) {
    for (let p = pos; p < end; p += stride) {
      io.push({
        id: idSize === 1 ? buf[p]! : (buf[p]! << 8) | buf[p + 1]!,
        width: 1,
        value: buf[p + idSize]!,
      });
    }
  } else if (width === 2) {
    for (let p = pos; p < end; p += stride) {
      const v = p + idSize;
      io.push({
        id: idSize === 1 ? buf[p]! : (buf[p]! << 8) | buf[p + 1]!,
        width: 2,
        value: (buf[v]! << 8) | buf[v + 1]!,
      });
    }
  } else if (width === 4) {
    for (let p = pos; p < end; p += stride) {
      io.push({
        id: idSize === 1 ? buf[p]! : (buf[p]! << 8) | buf[p + 1]!,
        width: 4,
        value: buf.readUInt32BE(p + idSize),
      });
    }
  } else {
    for (let p = pos; p < end; p += stride) {
      const hi = buf.readUInt32BE(p + idSize);
      const lo = buf.readUInt32BE(p + idSize + 4);
      const value = hi === 0 ? BigInt(lo) : (BigInt(hi) << 32n) | BigInt(lo);
      io.push({ id: idSize === 1 ? buf[p]! : (buf[p]! << 8) | buf[p + 1]!, width: 8, value });
    }
  }
}

/**
 * Decodes `count` records of `codecId` from `buf[start, end)` and returns them with the offset
 * after the last one. Offsets in errors are absolute in `buf`. Lengths are checked against `end`
 * before any loop or allocation, so hostile counts cost nothing.
 *
 * Record wire format (big-endian; ids/counts are 1 byte in Codec 8, 2 bytes in 8E, ids 2 bytes
 * and counts 1 byte in 16):
 *
 *     timestamp u64 ms | priority u8 | longitude i32 | latitude i32 | altitude i16 | angle u16 |
 *     satellites u8 | speed u16 | event io id u8/u16 | [16: generation type u8] | total io count |
 *     N1 count, N1 x (id, u8) | N2 count, N2 x (id, u16) | N4 count, N4 x (id, u32) |
 *     N8 count, N8 x (id, u64) | [8E: NX count u16, NX x (id u16, length u16, bytes)]
 */
export function decodeAvlRecords(
  buf: Buffer,
  start: number,
  end: number,
  codecId: AvlCodecId,
  count: number,
): { records: AvlRecord[]; end: number } {
  const layout = LAYOUTS[codecId];
  const records: AvlRecord[] = [];
  let pos = start;
  for (let r = 0; r < count; r++) {
    const recordStart = pos;
    if (pos + layout.head > end)
      throw truncated(pos, `record ${r + 1} of ${count}`, layout.head, end);
    const hi = buf.readUInt32BE(pos);
    if (hi > MAX_SAFE_HI) {
      throw new TelemetryError(
        'TELEMETRY_BAD_TIMESTAMP',
        `record ${r + 1} timestamp does not fit a safe integer of ms`,
        {
          offset: pos,
          details: { record: r },
        },
      );
    }
    const timestamp = hi * TWO_32 + buf.readUInt32BE(pos + 4);
    const priority = buf[pos + 8]!;
    const longitude = buf.readInt32BE(pos + 9) / 1e7;
    const latitude = buf.readInt32BE(pos + 13) / 1e7;
    const altitude = buf.readInt16BE(pos + 17);
    const angle = buf.readUInt16BE(pos + 19);
    const satellites = buf[pos + 21]!;
    const speed = buf.readUInt16BE(pos + 22);
    pos += GPS;
    let eventIoId: number;
    let generationType = -1;
    let total: number;
    const totalAt = layout.generationType ? pos + 3 : pos + layout.idSize;
    if (layout.idSize === 1) {
      eventIoId = buf[pos]!;
      total = buf[pos + 1]!;
    } else if (layout.generationType) {
      eventIoId = buf.readUInt16BE(pos);
      generationType = buf[pos + 2]!;
      total = buf[pos + 3]!;
    } else {
      eventIoId = buf.readUInt16BE(pos);
      total = buf.readUInt16BE(pos + 2);
    }
    pos = recordStart + layout.head;

    const io: IoElement[] = [];
    let seen = 0;
    const { idSize, countSize } = layout;
    for (let g = 0; g < 4; g++) {
      const width = WIDTHS[g]!;
      if (pos + countSize > end) throw truncated(pos, `N${width} count`, countSize, end);
      const n = countSize === 1 ? buf[pos]! : buf.readUInt16BE(pos);
      pos += countSize;
      const stride = idSize + width;
      if (pos + n * stride > end) throw truncated(pos, `${n} N${width} elements`, n * stride, end);
      readGroup(buf, pos, n, idSize, width, io);
      pos += n * stride;
      seen += n;
    }
    if (layout.nx) {
      if (pos + 2 > end) throw truncated(pos, 'NX count', 2, end);
      const n = buf.readUInt16BE(pos);
      pos += 2;
      if (pos + n * 4 > end) throw truncated(pos, `${n} NX elements`, n * 4, end);
      for (let i = 0; i < n; i++) {
        if (pos + 4 > end) throw truncated(pos, 'NX element header', 4, end);
        const id = buf.readUInt16BE(pos);
        const length = buf.readUInt16BE(pos + 2);
        pos += 4;
        if (pos + length > end) throw truncated(pos, `NX element ${id} value`, length, end);
        io.push({ id, width: 'nx', value: Buffer.from(buf.subarray(pos, pos + length)) });
        pos += length;
      }
      seen += n;
    }
    if (seen !== total) {
      throw new TelemetryError(
        'TELEMETRY_COUNT_MISMATCH',
        `record ${r + 1} says ${total} I/O elements, its groups hold ${seen}`,
        { offset: totalAt, details: { record: r, declared: total, actual: seen } },
      );
    }
    const record: AvlRecord = {
      timestamp,
      priority,
      longitude,
      latitude,
      altitude,
      angle,
      satellites,
      speed,
      eventIoId,
      io,
    };
    if (generationType >= 0) record.generationType = generationType;
    records.push(record);
  }
  return { records, end: pos };
}

/**
 * Decodes codec id .. number of data 2 from `buf[start, end)` (shared with UDP). TELEMETRY_UNKNOWN_CODEC,
 * TELEMETRY_TRUNCATED, TELEMETRY_LENGTH_MISMATCH (records end before `end - 1`), TELEMETRY_COUNT_MISMATCH (data 1 != data 2).
 */
export function decodeAvlData(buf: Buffer, start: number, end: number): AvlPacket {
  if (end - start < MIN_DATA_LENGTH) {
    throw new TelemetryError(
      'TELEMETRY_TRUNCATED',
      `the AVL data needs at least ${MIN_DATA_LENGTH} bytes, has ${end - start}`,
      {
        offset: end,
        details: { needed: MIN_DATA_LENGTH, actual: end - start },
      },
    );
  }
  const codecId = buf[start]!;
  if (!isAvlCodecId(codecId)) {
    throw new TelemetryError(
      'TELEMETRY_UNKNOWN_CODEC',
      `${codecName(codecId)} is not an AVL data codec (0x08, 0x8E, 0x10)`,
      {
        offset: start,
        details: { codecId },
      },
    );
  }
  const count = buf[start + 1]!;
  const count2At = end - 1;
  const decoded = decodeAvlRecords(buf, start + 2, count2At, codecId, count);
  if (decoded.end !== count2At) {
    throw new TelemetryError(
      'TELEMETRY_LENGTH_MISMATCH',
      `${count} records end at byte ${decoded.end}, the length says byte ${count2At} (${count2At - decoded.end} bytes left over)`,
      { offset: decoded.end, details: { recordsEnd: decoded.end, expectedEnd: count2At } },
    );
  }
  const count2 = buf[count2At]!;
  if (count2 !== count) {
    throw new TelemetryError(
      'TELEMETRY_COUNT_MISMATCH',
      `number of data 1 is ${count}, number of data 2 is ${count2}`,
      {
        offset: count2At,
        details: { count1: count, count2 },
      },
    );
  }
  return { codecId, records: decoded.records };
}
