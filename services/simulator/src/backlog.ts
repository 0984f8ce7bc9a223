import { createKafkajsClient, type OutboundRecord } from '@fleetstream/stream';
import { encodeTcpPacket } from '@fleetstream/telemetry';
import type { DeviceModel } from './device-model.ts';

const BATCH = 1_000;

/**
 * backlog mode: `events` Teltonika TCP packets of one record each, written straight into the raw
 * topic (as the gateway would have: key IMEI, the same headers), to test a pipeline's catch-up.
 * Resolves the number of records produced (all acknowledged, acks=all).
 */
export async function produceBacklog(options: { brokers: string[]; topic: string; events: number; models: DeviceModel[]; onProgress?: (produced: number) => void; stopped: () => boolean }): Promise<number> {
  const producer = createKafkajsClient({ brokers: options.brokers, clientId: 'fleetstream-simulator' }).producer();
  await producer.connect();
  let produced = 0;
  try {
    while (produced < options.events && !options.stopped()) {
      const n = Math.min(BATCH, options.events - produced);
      const records: OutboundRecord[] = [];
      for (let i = 0; i < n; i++) {
        const model = options.models[(produced + i) % options.models.length]!;
        records.push({
          topic: options.topic,
          key: model.deviceId,
          value: encodeTcpPacket({ codecId: model.codecId, records: model.nextRecords(1) }),
          headers: { protocol: 'teltonika-tcp', codec: String(model.codecId), receivedAt: String(Date.now()), remote: 'simulator' },
        });
      }
      await producer.send(records);
      produced += n;
      options.onProgress?.(produced);
    }
  } finally {
    await producer.disconnect();
  }
  return produced;
}
