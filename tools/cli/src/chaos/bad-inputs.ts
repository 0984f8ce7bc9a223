import { encodeTcpPacket, CODEC_8, type AvlRecord } from '@fleetstream/telemetry';
import type { OutboundRecord, StreamProducer } from '@fleetstream/stream';

/** Header marking the inputs a chaos run makes bad on purpose; DLQ records keep the original headers. */
export const CHAOS_BAD_HEADER = 'chaos.bad';

/** Device ids of bad inputs: outside the simulated fleet, so they can never be confused with its events. */
const BAD_DEVICE_BASE = 999_000_000_000_000;

function record(t: number): AvlRecord {
  return { timestamp: t, priority: 0, longitude: 25.28, latitude: 54.68, altitude: 100, angle: 0, satellites: 9, speed: 0, eventIoId: 0, io: [] };
}

/**
 * Raw records that parse must send to the DLQ, produced straight into the raw topic as the
 * gateway would have (key = IMEI, protocol header): a Teltonika packet with a broken CRC, and a
 * JSON body that fails validation. Each carries `chaos.bad` = its kind.
 */
export function badRawRecords(topic: string, n: number, seq: number): OutboundRecord[] {
  const out: OutboundRecord[] = [];
  const now = Date.now();
  for (let i = 0; i < n; i++) {
    const k = seq + i;
    const imei = String(BAD_DEVICE_BASE + k);
    if (k % 2 === 0) {
      const packet = encodeTcpPacket({ codecId: CODEC_8, records: [record(now - k * 1000)] });
      packet[packet.length - 1] = packet[packet.length - 1]! ^ 0xff; // CRC-16 low byte
      out.push({ topic, key: imei, value: packet, headers: { protocol: 'teltonika-tcp', receivedAt: String(now), [CHAOS_BAD_HEADER]: 'crc' } });
    } else {
      out.push({ topic, key: imei, value: Buffer.from(JSON.stringify({ deviceId: imei, eventTime: 'yesterday' })), headers: { protocol: 'json', receivedAt: String(now), [CHAOS_BAD_HEADER]: 'schema' } });
    }
  }
  return out;
}

/** Produces `n` bad raw records; resolves how many were acknowledged. */
export async function produceBadRecords(producer: StreamProducer, topic: string, n: number, seq: number): Promise<number> {
  await producer.send(badRawRecords(topic, n, seq));
  return n;
}

/**
 * Posts an HTTP body that fails validation (unknown protocol version, no position): the gateway
 * must refuse it with 400 and accept nothing. Resolves the HTTP status.
 */
export async function postInvalidHttp(baseUrl: string, token: string, seq: number): Promise<number> {
  const body = JSON.stringify({ deviceId: String(BAD_DEVICE_BASE + 500_000 + seq), protocol: 'unknown-v9', eventTime: Date.now() });
  const res = await fetch(`${baseUrl}/v1/telemetry`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body, signal: AbortSignal.timeout(10_000) });
  await res.arrayBuffer();
  return res.status;
}
