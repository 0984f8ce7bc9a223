import { decodeTcpPacket, ingestToTelemetryEvents, toTelemetryEvents, validateIngest } from '@fleetstream/telemetry';
import type { DeliveryEvent } from '@fleetstream/simulator';
import { dayOf } from '@fleetstream/store/lib';

/**
 * Every event the gateway acknowledged, by identity: device id, UTC day and eventId. The eventIds
 * are computed from the acknowledged bytes with libs/telemetry, exactly as parse computes them, so
 * the ledger names the rows Cassandra must hold.
 */
export class AckLedger {
  /** deviceId -> day -> eventIds. */
  readonly byPartition = new Map<string, Map<string, Set<string>>>();
  /** Acknowledged packets / requests (a resent packet counts once per ack). */
  ackedDeliveries = 0;
  /** Acknowledged events, repeats included. */
  ackedRecords = 0;
  #distinct = 0;

  get distinct(): number {
    return this.#distinct;
  }

  /** The simulator's per-delivery callback: only `acked` deliveries count. */
  onDelivery = (d: DeliveryEvent): void => {
    if (d.type !== 'acked') return;
    this.ackedDeliveries += 1;
    const events =
      d.protocol === 'tcp'
        ? toTelemetryEvents(d.deviceId, 0, decodeTcpPacket(d.payload))
        : (() => {
            const result = validateIngest(JSON.parse(d.payload.toString('utf8')));
            if (!result.ok) throw new Error(`the simulator sent an invalid body that was acknowledged: ${result.errors[0]?.message}`);
            return ingestToTelemetryEvents(result.events, 0);
          })();
    for (const e of events) this.add(e.deviceId, e.eventTime, e.eventId);
  };

  add(deviceId: string, eventTime: number, eventId: string): void {
    this.ackedRecords += 1;
    const day = dayOf(eventTime);
    let days = this.byPartition.get(deviceId);
    if (!days) this.byPartition.set(deviceId, (days = new Map()));
    let ids = days.get(day);
    if (!ids) days.set(day, (ids = new Set()));
    if (!ids.has(eventId)) {
      ids.add(eventId);
      this.#distinct += 1;
    }
  }

  has(deviceId: string, eventTime: number, eventId: string): boolean {
    return this.byPartition.get(deviceId)?.get(dayOf(eventTime))?.has(eventId) ?? false;
  }
}
