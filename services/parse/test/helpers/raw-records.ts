/**
 * Deterministic raw telemetry.raw records of every kind parse reads: TCP packets of Codec 8,
 * 8 Extended (with NX and 8-byte values above 2^53) and 16, UDP packets, JSON ingest bodies, repeated
 * records inside one packet (occurrence > 0), negative coordinates, and corrupt packets. Used by the
 * golden test, so the same seed must always give the same records.
 */
import { CODEC_16, CODEC_8, CODEC_8_EXTENDED, encodeTcpPacket, encodeUdpPacket } from '@fleetstream/telemetry';
import type { AvlCodecId, AvlRecord, IoElement } from '@fleetstream/telemetry';
import type { InboundRecord } from '@fleetstream/stream';

/** A deterministic pseudo-random generator (an LCG), so a failure can be replayed. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}

function io(rand: () => number, codec: AvlCodecId): IoElement[] {
  const id = () => Math.floor(rand() * (codec === CODEC_8 ? 256 : 70_000)) % (codec === CODEC_8 ? 256 : 65_536);
  const out: IoElement[] = [];
  // well-known ids most of the time, so the derived fields are exercised
  if (rand() < 0.8) out.push({ id: 239, width: 1, value: Math.floor(rand() * 2) });
  if (rand() < 0.8) out.push({ id: 240, width: 1, value: Math.floor(rand() * 2) });
  for (let k = Math.floor(rand() * 3); k > 0; k--) out.push({ id: id(), width: 1, value: Math.floor(rand() * 256) });
  if (rand() < 0.7) out.push({ id: 66, width: 2, value: Math.floor(rand() * 65_536) });
  if (rand() < 0.3) out.push({ id: 67, width: 2, value: Math.floor(rand() * 65_536) });
  if (rand() < 0.2) out.push({ id: 89, width: 1, value: Math.floor(rand() * 101) });
  if (rand() < 0.2) out.push({ id: 48, width: 1, value: Math.floor(rand() * 101) });
  for (let k = Math.floor(rand() * 3); k > 0; k--) out.push({ id: id(), width: 2, value: Math.floor(rand() * 65_536) });
  if (rand() < 0.7) out.push({ id: 16, width: 4, value: Math.floor(rand() * 2 ** 32) });
  if (codec !== CODEC_8 && rand() < 0.3) out.push({ id: 449, width: 4, value: Math.floor(rand() * 2 ** 32) });
  if (rand() < 0.3) out.push({ id: 103, width: 4, value: Math.floor(rand() * 2 ** 32) });
  for (let k = Math.floor(rand() * 2); k > 0; k--) out.push({ id: id(), width: 4, value: Math.floor(rand() * 2 ** 32) });
  for (let k = Math.floor(rand() * 3); k > 0; k--) {
    const big = rand() < 0.5 ? BigInt(Math.floor(rand() * 2 ** 53)) : (BigInt(Math.floor(rand() * 2 ** 32)) << 32n) | BigInt(Math.floor(rand() * 2 ** 32));
    out.push({ id: id(), width: 8, value: big });
  }
  if (codec === CODEC_8_EXTENDED)
    for (let k = Math.floor(rand() * 3); k > 0; k--)
      out.push({ id: id(), width: 'nx', value: Buffer.from(Array.from({ length: Math.floor(rand() * 12) }, () => Math.floor(rand() * 256))) });
  // now and then a repeated id in a later group: the later one wins in the event's io
  if (rand() < 0.1 && out.length > 0) out.push({ id: out[0]!.id, width: 4, value: Math.floor(rand() * 2 ** 32) });
  return out;
}

function avlRecord(rand: () => number, codec: AvlCodecId, t: number): AvlRecord {
  const record: AvlRecord = {
    timestamp: t,
    priority: Math.floor(rand() * 3),
    longitude: Math.round((rand() * 360 - 180) * 1e7) / 1e7,
    latitude: Math.round((rand() * 180 - 90) * 1e7) / 1e7,
    altitude: Math.floor(rand() * 4000) - 500,
    angle: Math.floor(rand() * 361),
    satellites: Math.floor(rand() * 30),
    speed: Math.floor(rand() * 250),
    eventIoId: Math.floor(rand() * 4) === 0 ? 239 : 0,
    io: io(rand, codec),
  };
  if (codec === CODEC_16) record.generationType = Math.floor(rand() * 8);
  return record;
}

/** `n` raw records (seeded), as the consumer hands them to the transform. */
export function rawRecords(n: number, seed = 7): InboundRecord[] {
  const rand = rng(seed);
  const codecs: AvlCodecId[] = [CODEC_8, CODEC_8_EXTENDED, CODEC_16];
  const out: InboundRecord[] = [];
  for (let i = 0; i < n; i++) {
    const codec = codecs[i % 3]!;
    const imei = String(356307042440000 + (i % 97));
    const base = 1_700_000_000_000 + i * 10_000;
    const records = Array.from({ length: 1 + (i % 4) }, (_, k) => avlRecord(rand, codec, base + k * 1000));
    if (i % 11 === 3) records.push({ ...records[0]!, io: [...records[0]!.io] }); // the same record twice: occurrence 1
    const receivedAt = String(1_700_000_000_000 + i);
    const common = { topic: 'raw', partition: i % 4, offset: String(i), timestamp: 1_600_000_000_000 + i };
    const kind = i % 13;
    if (kind === 5) {
      const value = encodeUdpPacket({ codecId: codec, records, packetId: i & 0xffff, notUsable: 1, avlPacketId: i & 0xff, imei });
      out.push({ ...common, key: Buffer.from(imei), value, headers: { protocol: 'teltonika-udp', receivedAt } });
    } else if (kind === 9) {
      const events = records.map((r) => ({
        deviceId: imei,
        eventTime: r.timestamp,
        position: { lat: r.latitude, lon: r.longitude, altitude: r.altitude, speed: r.speed / 3 },
        priority: r.priority,
        io: { '239': 1, '66': 12_345, '11': '18446744073709551615', '385': { hex: '1121' } },
      }));
      out.push({ ...common, key: Buffer.from(imei), value: Buffer.from(JSON.stringify({ events })), headers: { protocol: 'json', receivedAt } });
    } else {
      const value = encodeTcpPacket({ codecId: codec, records });
      if (i % 17 === 8) value[value.length - 1] = value[value.length - 1]! ^ 0xff; // CRC no longer matches
      // no receivedAt header now and then: the broker timestamp is used
      const headers: Record<string, string> = kind === 12 ? { protocol: 'teltonika-tcp' } : { protocol: 'teltonika-tcp', receivedAt };
      out.push({ ...common, key: Buffer.from(imei), value, headers });
    }
  }
  return out;
}
