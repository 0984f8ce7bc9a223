/**
 * Teltonika AVL data packets over TCP: decode, encode, the server acknowledgement, and a framer
 * that finds packet boundaries in a byte stream.
 */
import { decodeAvlData, MIN_DATA_LENGTH } from './avl-data.ts';
import { avlRecordsSize, writeAvlRecords } from './avl-data-encode.ts';
import type { AvlPacket, AvlPacketInput } from './avl-record.ts';
import { crc16Ibm } from './crc16.ts';
import { TelemetryError } from './errors.ts';

/** Preamble + data field length. */
export const TCP_HEADER_SIZE = 8;
/** Header + CRC field around the data field. */
const TCP_OVERHEAD = 12;
/** Default cap for {@link frameTcp}: far above any Teltonika device's packet, small enough to buffer. */
export const DEFAULT_MAX_TCP_PACKET_SIZE = 64 * 1024;

function hex16(n: number): string {
  return `0x${n.toString(16).padStart(4, '0')}`;
}

/**
 * Decodes one whole TCP AVL data packet, strictly: the buffer must hold exactly one packet.
 *
 * Wire format (big-endian):
 *
 *     0x00000000 preamble (4) | data field length (4) | codec id (1) | number of data 1 (1) |
 *     AVL records (X) | number of data 2 (1) | CRC-16/IBM (4: 0x0000 + crc over codec id .. data 2)
 *
 * The data field length counts codec id .. number of data 2. Failures: TELEMETRY_BAD_PREAMBLE,
 * TELEMETRY_LENGTH_MISMATCH, TELEMETRY_TRUNCATED, TELEMETRY_CRC_MISMATCH, TELEMETRY_UNKNOWN_CODEC, TELEMETRY_COUNT_MISMATCH, TELEMETRY_BAD_TIMESTAMP, each
 * with the byte offset.
 *
 * @example decodeTcpPacket(hexToBuffer('000000000000003608010000016B40D8EA30...C7CF')).records[0].timestamp
 */
export function decodeTcpPacket(buf: Buffer): AvlPacket {
  if (buf.length < TCP_HEADER_SIZE) {
    throw new TelemetryError(
      'TELEMETRY_TRUNCATED',
      `${buf.length} bytes: a TCP packet has at least an 8-byte header`,
      {
        offset: buf.length,
        details: { needed: TCP_HEADER_SIZE, actual: buf.length },
      },
    );
  }
  const badPreamble = preambleError(buf);
  if (badPreamble) throw badPreamble;
  const dataLength = buf.readUInt32BE(4);
  const badLength = dataLengthError(dataLength);
  if (badLength) throw badLength;
  const total = TCP_OVERHEAD + dataLength;
  if (buf.length < total) {
    throw new TelemetryError(
      'TELEMETRY_TRUNCATED',
      `the packet says ${total} bytes, only ${buf.length} arrived`,
      {
        offset: buf.length,
        details: { expected: total, actual: buf.length },
      },
    );
  }
  if (buf.length > total) {
    throw new TelemetryError(
      'TELEMETRY_LENGTH_MISMATCH',
      `${buf.length - total} bytes follow the ${total}-byte packet`,
      {
        offset: total,
        details: { expected: total, actual: buf.length },
      },
    );
  }
  const dataEnd = TCP_HEADER_SIZE + dataLength;
  const stored = buf.readUInt32BE(dataEnd);
  const computed = crc16Ibm(buf, TCP_HEADER_SIZE, dataEnd);
  if (stored !== computed) {
    throw new TelemetryError(
      'TELEMETRY_CRC_MISMATCH',
      `packet says ${hex16(stored)}, computed ${hex16(computed)}`,
      {
        offset: dataEnd,
        details: { stored, computed },
      },
    );
  }
  return decodeAvlData(buf, TCP_HEADER_SIZE, dataEnd);
}

/** TELEMETRY_BAD_PREAMBLE for the first non-zero byte among the (up to 4) preamble bytes present. */
function preambleError(buf: Buffer): TelemetryError | undefined {
  const n = Math.min(4, buf.length);
  for (let i = 0; i < n; i++) {
    if (buf[i] !== 0) {
      return new TelemetryError(
        'TELEMETRY_BAD_PREAMBLE',
        `byte ${i} is 0x${buf[i]!.toString(16).padStart(2, '0')}, the preamble is 4 zero bytes`,
        {
          offset: i,
          details: { preamble: buf.subarray(0, n).toString('hex') },
        },
      );
    }
  }
  return undefined;
}

function dataLengthError(dataLength: number): TelemetryError | undefined {
  if (dataLength >= MIN_DATA_LENGTH) return undefined;
  return new TelemetryError(
    'TELEMETRY_LENGTH_MISMATCH',
    `data field length ${dataLength} is below the minimum of ${MIN_DATA_LENGTH}`,
    {
      offset: 4,
      details: { dataLength },
    },
  );
}

/**
 * Encodes a TCP AVL data packet (the inverse of {@link decodeTcpPacket}); TELEMETRY_INVALID_RECORD when a
 * field does not fit its wire width, or there are more than 255 records.
 *
 * Wire format: 0x00000000 | data field length (4) | codec id | number of data 1 | records |
 * number of data 2 | 0x0000 + CRC-16/IBM of codec id .. number of data 2 (4).
 */
export function encodeTcpPacket(packet: AvlPacketInput): Buffer {
  const { codecId, records } = packet;
  if (records.length > 255) {
    throw new TelemetryError(
      'TELEMETRY_INVALID_RECORD',
      `${records.length} records: a packet carries at most 255`,
      {
        details: { records: records.length },
      },
    );
  }
  const dataLength = MIN_DATA_LENGTH + avlRecordsSize(records, codecId);
  const buf = Buffer.alloc(TCP_OVERHEAD + dataLength);
  buf.writeUInt32BE(dataLength, 4);
  buf[8] = codecId;
  buf[9] = records.length;
  const end = writeAvlRecords(buf, 10, records, codecId);
  buf[end] = records.length;
  buf.writeUInt32BE(crc16Ibm(buf, TCP_HEADER_SIZE, end + 1), end + 1);
  return buf;
}

/** Server -> device acknowledgement of a TCP AVL packet: the number of records accepted, u32 BE. */
export function encodeTcpAck(recordCount: number): Buffer {
  const buf = Buffer.alloc(4);
  buf.writeUInt32BE(recordCount, 0);
  return buf;
}

/** Reads a 4-byte TCP acknowledgement (TELEMETRY_TRUNCATED / TELEMETRY_LENGTH_MISMATCH unless exactly 4 bytes). */
export function decodeTcpAck(buf: Buffer): number {
  if (buf.length !== 4) {
    throw new TelemetryError(
      buf.length < 4 ? 'TELEMETRY_TRUNCATED' : 'TELEMETRY_LENGTH_MISMATCH',
      `a TCP ack is 4 bytes, got ${buf.length}`,
      {
        offset: Math.min(buf.length, 4),
      },
    );
  }
  return buf.readUInt32BE(0);
}

export interface FrameTcpOptions {
  /** Largest whole packet accepted, header and CRC included (default 64 KiB). */
  maxPacketSize?: number;
}

/**
 * What {@link frameTcp} found at the start of the buffer: a whole packet (`frame`, a view of the
 * buffer; the caller consumes `frame.length` bytes), or `needed` more bytes at least, or an error
 * (the stream cannot be resynchronised: close the connection).
 */
export interface TcpFrameResult {
  frame?: Buffer;
  needed?: number;
  error?: TelemetryError;
}

/**
 * Streaming helper for a gateway: given the bytes accumulated since the last packet boundary, says
 * whether a whole TCP AVL packet is present. It checks the preamble and the declared length (so a
 * hostile length is refused before anything is buffered for it) but not the CRC or the records:
 * decode the frame with {@link decodeTcpPacket}.
 *
 * @example
 * const { frame, needed, error } = frameTcp(pending);
 * if (error) socket.destroy(); else if (frame) { handle(frame); pending = pending.subarray(frame.length) }
 */
export function frameTcp(buf: Buffer, options: FrameTcpOptions = {}): TcpFrameResult {
  const maxPacketSize = options.maxPacketSize ?? DEFAULT_MAX_TCP_PACKET_SIZE;
  const badPreamble = preambleError(buf);
  if (badPreamble) return { error: badPreamble };
  if (buf.length < TCP_HEADER_SIZE) return { needed: TCP_HEADER_SIZE - buf.length };
  const dataLength = buf.readUInt32BE(4);
  const badLength = dataLengthError(dataLength);
  if (badLength) return { error: badLength };
  const total = TCP_OVERHEAD + dataLength;
  if (total > maxPacketSize) {
    return {
      error: new TelemetryError(
        'TELEMETRY_PACKET_TOO_LARGE',
        `the packet says ${total} bytes, the limit is ${maxPacketSize}`,
        {
          offset: 4,
          details: { declared: total, maxPacketSize },
        },
      ),
    };
  }
  if (buf.length < total) return { needed: total - buf.length };
  return { frame: buf.subarray(0, total) };
}
