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

  test('counts each record\'s headers, also when records share one headers object (the events of one input)', () => {
    const headers = fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 40 }), { maxKeys: 4 });
    fc.assert(
      fc.property(
        fc.array(fc.record({ value: fc.uint8Array({ maxLength: 500 }), headers: fc.integer({ min: 0, max: 2 }), events: fc.integer({ min: 1, max: 4 }) }), { maxLength: 60 }),
        fc.array(headers, { minLength: 3, maxLength: 3 }),
        fc.integer({ min: 200, max: 5_000 }),
        (raw, headerSets, maxBytes) => {
          // each input record's events share one headers object
          const records: OutboundRecord[] = raw.flatMap((r) => Array.from({ length: r.events }, () => ({ topic: 't', key: 'k', value: Buffer.from(r.value), headers: { ...headerSets[r.headers]! } })).map((e, _, all) => ({ ...e, headers: all[0]!.headers })));
          const slices = slicesByBytes(records, maxBytes);
          expect(slices.flat()).toEqual(records);
          const size = (r: OutboundRecord) => 1 + (r.value as Buffer).length + 70 + Object.entries(r.headers!).reduce((a, [k, v]) => a + k.length + v.length + 4, 0);
          for (const slice of slices) if (slice.length > 1) expect(slice.reduce((a, r) => a + size(r), 0)).toBeLessThanOrEqual(maxBytes);
          // greedy: the next slice's first record would not have fitted
          for (let i = 1; i < slices.length; i++) expect(slices[i - 1]!.reduce((a, r) => a + size(r), 0) + size(slices[i]![0]!)).toBeGreaterThan(maxBytes);
        },
      ),
    );
  });
});
