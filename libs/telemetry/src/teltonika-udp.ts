/**
 * Teltonika AVL data packets over UDP: decode, encode, and the server acknowledgement. One
 * datagram is one packet; it names its device (IMEI) itself and carries no CRC.
 */
import { decodeAvlData } from './avl-data.ts';
import { avlRecordsSize, writeAvlRecords } from './avl-data-encode.ts';
import type { AvlPacket, AvlPacketInput } from './avl-record.ts';
import { TelemetryError } from './errors.ts';
import { readImei } from './teltonika-imei.ts';

/** A decoded UDP AVL packet: the AVL data plus the UDP channel and AVL packet headers. */
export interface UdpAvlPacket extends AvlPacket {
  /** UDP channel packet id, echoed in the ack. */
  packetId: number;
  /** The channel header's "not usable byte" (devices send 0x01), kept so encoding is exact. */
  notUsable: number;
  /** AVL packet id, echoed in the ack. */
  avlPacketId: number;
  imei: string;
}

/** Length, packet id, not usable byte, AVL packet id, IMEI length. */
const UDP_FIXED_HEADER = 8;

/**
 * Decodes one UDP datagram holding a Teltonika AVL packet, strictly (the datagram is exactly one
 * packet).
 *
 * Wire format (big-endian):
 *
 *     length (2: bytes after this field) | packet id (2) | not usable byte (1) |
 *     AVL packet id (1) | IMEI length (2) | IMEI (ASCII digits) |
 *     codec id (1) | number of data 1 (1) | AVL records (X) | number of data 2 (1)
 *
 * Failures: TELEMETRY_TRUNCATED, TELEMETRY_LENGTH_MISMATCH, TELEMETRY_BAD_IMEI, TELEMETRY_UNKNOWN_CODEC, TELEMETRY_COUNT_MISMATCH, TELEMETRY_BAD_TIMESTAMP.
 */
export function decodeUdpPacket(buf: Buffer): UdpAvlPacket {
  if (buf.length < UDP_FIXED_HEADER) {
    throw new TelemetryError(
      'TELEMETRY_TRUNCATED',
      `${buf.length} bytes: a UDP packet has at least an 8-byte header`,
      {
        offset: buf.length,
        details: { needed: UDP_FIXED_HEADER, actual: buf.length },
      },
    );
  }
  const length = buf.readUInt16BE(0);
  if (length + 2 !== buf.length) {
    const short = length + 2 > buf.length;
    throw new TelemetryError(
      short ? 'TELEMETRY_TRUNCATED' : 'TELEMETRY_LENGTH_MISMATCH',
      `the packet says ${length + 2} bytes, the datagram has ${buf.length}`,
      {
        offset: short ? buf.length : length + 2,
        details: { expected: length + 2, actual: buf.length },
      },
    );
  }
  const packetId = buf.readUInt16BE(2);
  const notUsable = buf[4]!;
  const avlPacketId = buf[5]!;
  const imeiLength = buf.readUInt16BE(6);
  if (UDP_FIXED_HEADER + imeiLength > buf.length) {
    throw new TelemetryError(
      'TELEMETRY_TRUNCATED',
      `the IMEI length ${imeiLength} runs past the end of the datagram`,
      {
        offset: buf.length,
        details: { imeiLength },
      },
    );
  }
  const imei = readImei(buf, UDP_FIXED_HEADER, imeiLength);
  const avl = decodeAvlData(buf, UDP_FIXED_HEADER + imeiLength, buf.length);
  return { codecId: avl.codecId, records: avl.records, packetId, notUsable, avlPacketId, imei };
}

/**
 * Encodes a UDP AVL packet (the inverse of {@link decodeUdpPacket}); TELEMETRY_INVALID_RECORD or TELEMETRY_BAD_IMEI
 * when a field does not fit.
 *
 * Wire format: length (2) | packet id (2) | not usable byte (1) | AVL packet id (1) |
 * IMEI length (2) | IMEI | codec id | number of data 1 | records | number of data 2.
 */
export function encodeUdpPacket(
  packet: AvlPacketInput & Omit<UdpAvlPacket, 'codecId' | 'records'>,
): Buffer {
  const { codecId, records, imei } = packet;
  if (records.length > 255) {
    throw new TelemetryError(
      'TELEMETRY_INVALID_RECORD',
      `${records.length} records: a packet carries at most 255`,
      {
        details: { records: records.length },
      },
    );
  }
  const size = UDP_FIXED_HEADER + imei.length + 3 + avlRecordsSize(records, codecId);
  if (size - 2 > 0xffff) {
    throw new TelemetryError(
      'TELEMETRY_INVALID_RECORD',
      `${size} bytes do not fit a UDP packet's 2-byte length`,
      {
        details: { size },
      },
    );
  }
  const buf = Buffer.alloc(size);
  buf.writeUInt16BE(size - 2, 0);
  buf.writeUInt16BE(packet.packetId, 2);
  buf[4] = packet.notUsable;
  buf[5] = packet.avlPacketId;
  buf.writeUInt16BE(imei.length, 6);
  buf.write(imei, UDP_FIXED_HEADER, 'latin1');
  readImei(buf, UDP_FIXED_HEADER, imei.length);
  let pos = UDP_FIXED_HEADER + imei.length;
  buf[pos] = codecId;
  buf[pos + 1] = records.length;
  pos = writeAvlRecords(buf, pos + 2, records, codecId);
  buf[pos] = records.length;
  return buf;
}

/** What the server answers to a UDP AVL packet. */
export interface UdpAck {
  packetId: number;
  /** Defaults to 0x01, as devices send. */
  notUsable?: number;
  avlPacketId: number;
  /** Number of accepted AVL records. */
  acceptedCount: number;
}

/**
 * Encodes the server's UDP acknowledgement.
 *
 * Wire format: length (2) = 0x0005 | packet id (2) | not usable byte (1) | AVL packet id (1) |
 * number of accepted records (1).
 */
export function encodeUdpAck(ack: UdpAck): Buffer {
  const buf = Buffer.alloc(7);
  buf.writeUInt16BE(5, 0);
  buf.writeUInt16BE(ack.packetId, 2);
  buf.writeUInt8(ack.notUsable ?? 0x01, 4);
  buf.writeUInt8(ack.avlPacketId, 5);
  buf.writeUInt8(ack.acceptedCount, 6);
  return buf;
}

/** Decodes a UDP acknowledgement (7 bytes, length field 5). */
export function decodeUdpAck(buf: Buffer): Required<UdpAck> {
  if (buf.length !== 7 || buf.readUInt16BE(0) !== 5) {
    throw new TelemetryError(
      buf.length < 7 ? 'TELEMETRY_TRUNCATED' : 'TELEMETRY_LENGTH_MISMATCH',
      `a UDP ack is 7 bytes with length 5`,
      {
        offset: Math.min(buf.length, 7),
      },
    );
  }
  return {
    packetId: buf.readUInt16BE(2),
    notUsable: buf[4]!,
    avlPacketId: buf[5]!,
    acceptedCount: buf[6]!,
  };
}
