/**
 * AVL records -> bytes for Codec 8, 8 Extended and 16 (the inverse of avl-data.ts): a sizing pass
 * that validates every field against its wire width, then a writing pass.
 */
import { TelemetryError } from './errors.ts';
import { codecName } from './avl-record.ts';
import type { AvlCodecId, AvlRecord } from './avl-record.ts';
import { GPS, LAYOUTS, TWO_32, WIDTHS } from './avl-layout.ts';

function invalid(index: number, field: string, rule: string): TelemetryError {
  return new TelemetryError('TELEMETRY_INVALID_RECORD', `record ${index + 1}: ${field} ${rule}`, {
    details: { record: index, field },
  });
}

function checkUint(value: number, bits: number, index: number, field: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 2 ** bits - 1) {
    throw invalid(index, field, `must be an integer 0..${2 ** bits - 1}, got ${value}`);
  }
}

function toE7(degrees: number, index: number, field: string): number {
  const e7 = Math.round(degrees * 1e7);
  if (!Number.isFinite(degrees) || e7 < -0x80000000 || e7 > 0x7fffffff) {
    throw invalid(index, field, `must fit int32 / 1e7, got ${degrees}`);
  }
  return e7;
}

/** Bytes that {@link writeAvlRecords} will write; validates every field against its wire width. */
export function avlRecordsSize(records: readonly AvlRecord[], codecId: AvlCodecId): number {
  const layout = LAYOUTS[codecId];
  const maxId = layout.idSize === 1 ? 8 : 16;
  const maxCount = layout.countSize === 1 ? 8 : 16;
  let size = 0;
  records.forEach((record, index) => {
    const ts = record.timestamp;
    if (!Number.isSafeInteger(ts) || ts < 0)
      throw invalid(index, 'timestamp', `must be a safe integer >= 0, got ${ts}`);
    checkUint(record.priority, 8, index, 'priority');
    toE7(record.longitude, index, 'longitude');
    toE7(record.latitude, index, 'latitude');
    if (!Number.isInteger(record.altitude) || record.altitude < -32768 || record.altitude > 32767) {
      throw invalid(index, 'altitude', `must be an int16, got ${record.altitude}`);
    }
    checkUint(record.angle, 16, index, 'angle');
    checkUint(record.satellites, 8, index, 'satellites');
    checkUint(record.speed, 16, index, 'speed');
    checkUint(record.eventIoId, maxId, index, 'eventIoId');
    if (layout.generationType) checkUint(record.generationType ?? -1, 8, index, 'generationType');
    const groups = { 1: 0, 2: 0, 4: 0, 8: 0, nx: 0 };
    size += layout.head + 4 * layout.countSize + (layout.nx ? 2 : 0);
    for (const element of record.io) {
      checkUint(element.id, maxId, index, `io ${element.id} id`);
      groups[element.width]++;
      if (element.width === 'nx') {
        if (!layout.nx)
          throw invalid(
            index,
            `io ${element.id}`,
            `is variable length, which ${codecName(codecId)} cannot carry`,
          );
        if (!Buffer.isBuffer(element.value) || element.value.length > 0xffff) {
          throw invalid(index, `io ${element.id}`, 'must be a Buffer of at most 65535 bytes');
        }
        size += 4 + element.value.length;
      } else if (element.width === 8) {
        const v = element.value;
        if (typeof v !== 'bigint' || v < 0n || v > 0xffffffffffffffffn) {
          throw invalid(index, `io ${element.id}`, 'must be a bigint 0..2^64-1');
        }
        size += layout.idSize + 8;
      } else {
        checkUint(element.value, element.width * 8, index, `io ${element.id}`);
        size += layout.idSize + element.width;
      }
    }
    for (const [group, n] of Object.entries(groups)) {
      checkUint(n, group === 'nx' ? 16 : maxCount, index, `N${group} count`);
    }
    checkUint(record.io.length, layout.totalSize * 8, index, 'total I/O count');
  });
  return size;
}

/**
 * Writes `records` (validated by {@link avlRecordsSize} first) at `pos` and returns the offset after
 * them. Elements go out group by group (N1, N2, N4, N8, NX), in list order within a group.
 */
export function writeAvlRecords(
  buf: Buffer,
  pos: number,
  records: readonly AvlRecord[],
  codecId: AvlCodecId,
): number {
  const layout = LAYOUTS[codecId];
  const writeId =
    layout.idSize === 1
      ? (v: number, at: number) => void (buf[at] = v)
      : (v: number, at: number) => void buf.writeUInt16BE(v, at);
  const writeCount =
    layout.countSize === 1
      ? (v: number, at: number) => void (buf[at] = v)
      : (v: number, at: number) => void buf.writeUInt16BE(v, at);
  for (const record of records) {
    buf.writeUInt32BE(Math.floor(record.timestamp / TWO_32), pos);
    buf.writeUInt32BE(record.timestamp % TWO_32, pos + 4);
    buf[pos + 8] = record.priority;
    buf.writeInt32BE(Math.round(record.longitude * 1e7), pos + 9);
    buf.writeInt32BE(Math.round(record.latitude * 1e7), pos + 13);
    buf.writeInt16BE(record.altitude, pos + 17);
    buf.writeUInt16BE(record.angle, pos + 19);
    buf[pos + 21] = record.satellites;
    buf.writeUInt16BE(record.speed, pos + 22);
    pos += GPS;
    if (layout.idSize === 1) {
      buf[pos] = record.eventIoId;
      buf[pos + 1] = record.io.length;
    } else if (layout.generationType) {
      buf.writeUInt16BE(record.eventIoId, pos);
      buf[pos + 2] = record.generationType ?? 0;
      buf[pos + 3] = record.io.length;
    } else {
      buf.writeUInt16BE(record.eventIoId, pos);
      buf.writeUInt16BE(record.io.length, pos + 2);
    }
    pos += layout.head - GPS;
    for (const width of [...WIDTHS, 'nx' as const]) {
      if (width === 'nx' && !layout.nx) break;
      const countAt = pos;
      pos += width === 'nx' ? 2 : layout.countSize;
      let n = 0;
      for (const element of record.io) {
        if (element.width !== width) continue;
        n++;
        if (element.width === 'nx') {
          buf.writeUInt16BE(element.id, pos);
          buf.writeUInt16BE(element.value.length, pos + 2);
          element.value.copy(buf, pos + 4);
          pos += 4 + element.value.length;
          continue;
        }
        writeId(element.id, pos);
        pos += layout.idSize;
        if (element.width === 8) buf.writeBigUInt64BE(element.value, pos);
        else if (element.width === 4) buf.writeUInt32BE(element.value, pos);
        else if (element.width === 2) buf.writeUInt16BE(element.value, pos);
        else buf[pos] = element.value;
        pos += element.width;
      }
      if (width === 'nx') buf.writeUInt16BE(n, countAt);
      else writeCount(n, countAt);
    }
  }
  return pos;
}
