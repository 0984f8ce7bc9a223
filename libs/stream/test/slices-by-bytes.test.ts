import fc from 'fast-check';
import { slicesByBytes } from '../src/kafka/kafkajs-client.ts';
import type { OutboundRecord } from '../src/index.ts';

describe('slicesByBytes', () => {
  test('keeps every record in order and each slice under the bound (a single oversized record gets its own slice)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ key: fc.string({ maxLength: 20 }), value: fc.uint8Array({ maxLength: 3000 }) }), { maxLength: 200 }),
        fc.integer({ min: 200, max: 20_000 }),
        (raw, maxBytes) => {
          const records: OutboundRecord[] = raw.map((r) => ({ topic: 't', key: r.key, value: Buffer.from(r.value) }));
          const slices = slicesByBytes(records, maxBytes);
          expect(slices.flat()).toEqual(records);
          for (const slice of slices) {
            expect(slice.length).toBeGreaterThan(0);
            const size = slice.reduce((a, r) => a + Buffer.byteLength(r.key as string) + (r.value as Buffer).length + 70, 0);
            if (slice.length > 1) expect(size).toBeLessThanOrEqual(maxBytes);
          }
        },
      ),
    );
  });
});
