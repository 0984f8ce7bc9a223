import type { CqlCall } from '@fleetstream/stream';
import { positionStatements, WrittenDays } from '../src/position-writer.ts';
import { decodeStoredEvent, type StoredEvent } from '../src/event.ts';
import { enrichedEvent } from './helpers/cluster.ts';

const day1 = Date.UTC(2024, 4, 1, 10);
const day2 = Date.UTC(2024, 4, 2, 10);
const stored = (deviceId: string, at: number, seq: number): StoredEvent => decodeStoredEvent(Buffer.from(JSON.stringify(enrichedEvent(deviceId, at, seq))));
const dayRows = (calls: CqlCall[]) =>
  calls
    .flatMap((c) => ('batch' in c ? c.batch : [c.statement]))
    .filter((s) => s.query.includes('.device_days '))
    .map((s) => `${String(s.params[0])} ${String(s.params[1])}`)
    .sort();
const positionRows = (calls: CqlCall[]) => calls.flatMap((c) => ('batch' in c ? c.batch : [c.statement])).filter((s) => s.query.includes('positions_by_device_day')).length;

describe('device_days written once per refresh (WrittenDays)', () => {
  test('a (device, day) written by an earlier chunk is skipped until the refresh; positions and latest state are always written', () => {
    // Prepare
    let now = 1_000_000;
    const days = new WrittenDays(600_000, 1_000, () => now);
    const statements = positionStatements('ks', 16, days);
    const first = [stored('dev-a', day1, 1), stored('dev-b', day1, 2)];
    const second = [stored('dev-a', day1 + 1000, 3), stored('dev-a', day2, 4), stored('dev-b', day1 + 1000, 5), stored('dev-c', day1, 6)];

    // Act
    const firstCalls = statements(first);
    days.written(first);
    const secondCalls = statements(second);
    days.written(second);
    now += 600_000;
    const afterRefresh = statements([stored('dev-a', day1 + 2000, 7)]);

    // Assess
    expect(dayRows(firstCalls)).toEqual(['dev-a 2024-05-01', 'dev-b 2024-05-01']);
    expect(dayRows(secondCalls)).toEqual(['dev-a 2024-05-02', 'dev-c 2024-05-01']);
    expect(positionRows(secondCalls)).toBe(4);
    expect(secondCalls.flatMap((c) => ('batch' in c ? c.batch : [c.statement])).filter((s) => s.query.includes('asset_latest_state'))).toHaveLength(3);
    expect(dayRows(afterRefresh)).toEqual(['dev-a 2024-05-01']);
  });

  test('rows of a chunk that was never marked written (a failed or replayed write) are written again', () => {
    // Prepare
    const days = new WrittenDays();
    const statements = positionStatements('ks', 16, days);
    const chunk = [stored('dev-a', day1, 1)];

    // Act
    statements(chunk); // the write failed: onWritten never ran
    const retried = statements(chunk);

    // Assess
    expect(dayRows(retried)).toEqual(['dev-a 2024-05-01']);
  });

  test('past maxEntries the oldest half is forgotten, the newest kept', () => {
    // Prepare
    const days = new WrittenDays(600_000, 10);

    // Act
    for (let i = 0; i < 11; i++) days.written([stored(`dev-${i}`, day1, i)]);

    // Assess
    expect(days.size).toBe(5);
    expect(days.fresh('dev-10', '2024-05-01')).toBe(true);
    expect(days.fresh('dev-0', '2024-05-01')).toBe(false);
  });
});

describe('devices packed into shared batches', () => {
  test('one event per device: whole devices per batch, at most 16 statements and 10 partitions, every statement once', () => {
    // Prepare
    const statements = positionStatements('ks', 16);
    const chunk = Array.from({ length: 23 }, (_, i) => stored(`dev-${i}`, day1 + i, i));

    // Act
    const calls = statements(chunk);

    // Assess
    const batches = calls.map((c) => ('batch' in c ? c.batch : [c.statement]));
    // 3 statements and 3 partitions (positions, days, latest) per device: 3 devices per batch.
    expect(batches.map((b) => b.length)).toEqual([9, 9, 9, 9, 9, 9, 9, 6]);
    for (const b of batches) {
      const devices = new Set(b.map((s) => String(s.params[0])));
      expect(b).toHaveLength(devices.size * 3);
    }
    expect(calls.reduce((n, c) => n + c.rows, 0)).toBe(23);
    expect(positionRows(calls)).toBe(23);
    expect(dayRows(calls)).toHaveLength(23);
  });

  test('with the day rows already written, 5 devices (10 partitions) share a batch', () => {
    // Prepare
    const days = new WrittenDays();
    const statements = positionStatements('ks', 16, days);
    const chunk = Array.from({ length: 12 }, (_, i) => stored(`dev-${i}`, day1 + i, i));
    days.written(chunk);

    // Act
    const calls = statements(chunk.map((e, i) => stored(e.deviceId, day1 + 1000 + i, 100 + i)));

    // Assess
    expect(calls.map((c) => ('batch' in c ? c.batch.length : 1))).toEqual([10, 10, 4]);
    expect(calls.map((c) => c.rows)).toEqual([5, 5, 2]);
  });
});
