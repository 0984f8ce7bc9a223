import { DlqHeaders, type InboundRecord } from '@fleetstream/stream';
import { CHAOS_BAD_HEADER } from '../src/chaos/bad-inputs.ts';
import { DlqLedger } from '../src/chaos/reconcile.ts';

const RAW = 'chaos-x-telemetry.raw';

/** A DLQ record as parse writes it: the source position and the reason in headers, the original bytes as value. */
function dead(source: { topic?: string; partition: number; offset: number }, reason: string, opts: { bad?: boolean; value?: string } = {}): InboundRecord {
  return {
    topic: 'chaos-x-telemetry.dlq',
    partition: 0,
    offset: '0',
    key: null,
    value: Buffer.from(opts.value ?? 'bytes'),
    timestamp: 0,
    headers: {
      [DlqHeaders.sourceTopic]: source.topic ?? RAW,
      [DlqHeaders.sourcePartition]: String(source.partition),
      [DlqHeaders.sourceOffset]: String(source.offset),
      [DlqHeaders.errorClass]: reason,
      ...(opts.bad === false ? {} : { [CHAOS_BAD_HEADER]: 'crc' }),
    },
  };
}

describe('the chaos run DLQ ledger', () => {
  test('counts one record per source position: a record dead-lettered again after a replay is a duplicate, not another record', () => {
    // Prepare
    const ledger = new DlqLedger(new Set([RAW]));

    // Act: two bad inputs, the first dead-lettered twice (kill -9 before the commit), a foreign topic's record
    ledger.add(dead({ partition: 1, offset: 180 }, 'TELEMETRY_CRC_MISMATCH'));
    ledger.add(dead({ partition: 11, offset: 153 }, 'TELEMETRY_SCHEMA_INVALID'));
    ledger.add(dead({ partition: 1, offset: 180 }, 'TELEMETRY_CRC_MISMATCH'));
    ledger.add(dead({ partition: 2, offset: 180 }, 'TELEMETRY_CRC_MISMATCH'));
    ledger.add(dead({ topic: 'another-run.telemetry.raw', partition: 1, offset: 180 }, 'TELEMETRY_CRC_MISMATCH'));

    // Assess
    expect(ledger.account).toMatchObject({ records: 3, duplicates: 1, badOnPurpose: 3, unexplained: 0, byReason: { TELEMETRY_CRC_MISMATCH: 2, TELEMETRY_SCHEMA_INVALID: 1 } });
  });

  test('a record not made bad on purpose is unexplained and names its event, once however often it was sent', () => {
    // Prepare
    const ledger = new DlqLedger(new Set([RAW]));
    const value = JSON.stringify({ eventId: 'e-1', deviceId: 'd' });

    // Act
    ledger.add(dead({ partition: 0, offset: 7 }, 'ENRICH_FAILED', { bad: false, value }));
    ledger.add(dead({ partition: 0, offset: 7 }, 'ENRICH_FAILED', { bad: false, value }));

    // Assess
    expect(ledger.account).toMatchObject({ records: 1, duplicates: 1, badOnPurpose: 0, unexplained: 1 });
    expect([...ledger.account.eventIds]).toEqual(['e-1']);
  });
});
