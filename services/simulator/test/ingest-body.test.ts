import { CODEC_16, CODEC_8, CODEC_8_EXTENDED, type AvlCodecId, type AvlRecord } from '@fleetstream/telemetry';
import { DeviceModel } from '../src/device-model.ts';
import { ingestBody, toIngestEvent } from '../src/ingest-body.ts';

/** What the body was before it was written by hand: JSON.stringify of the event objects. */
const stringified = (deviceId: string, records: AvlRecord[]) => {
  const events = records.map((r) => toIngestEvent(deviceId, r));
  return JSON.stringify(events.length === 1 ? events[0] : { events });
};

describe('ingestBody', () => {
  it.each<AvlCodecId>([CODEC_8, CODEC_8_EXTENDED, CODEC_16])('writes exactly the bytes JSON.stringify wrote, for one and several records (codec %i)', (codecId) => {
    // Prepare
    const model = new DeviceModel({ deviceId: '356307042441013', index: 3, seed: 7, startTime: 1_700_000_000_000, codecId });

    // Act / Assess: through parked and driving phases
    for (let k = 0; k < 300; k++) {
      const records = model.nextRecords(1 + (k % 3));
      expect(ingestBody(model.deviceId, records).toString()).toBe(stringified(model.deviceId, records));
    }
  });

  it('orders io ids as JSON.stringify does, writes bigint and byte values as strings, and keeps the last of a repeated id', () => {
    // Prepare
    const base = new DeviceModel({ deviceId: '1', index: 0, seed: 1, startTime: 0 }).nextRecords(1)[0]!;
    const odd: AvlRecord = { ...base, io: [{ id: 300, width: 8, value: 2n ** 60n }, { id: 7, width: 1, value: 1 }, { id: 20, width: 'nx', value: Buffer.from([0xab, 0x01]) }] };
    const repeated: AvlRecord = { ...base, io: [{ id: 7, width: 1, value: 1 }, { id: 7, width: 1, value: 2 }] };

    // Act
    const bodies = [odd, repeated].map((r) => ingestBody('dev', [r]).toString());

    // Assess
    expect(bodies).toEqual([stringified('dev', [odd]), stringified('dev', [repeated])]);
    expect(JSON.parse(bodies[0]!).io).toEqual({ 7: 1, 20: 'ab01', 300: (2n ** 60n).toString() });
  });
});
