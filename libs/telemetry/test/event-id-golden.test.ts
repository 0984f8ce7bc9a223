import { describe, expect, it } from '@jest/globals';
import { eventId } from '../src/index.ts';
import type { EventIdInput } from '../src/index.ts';

// Ids computed by the original implementation (createHash over the text recipe in event-id.ts).
// A change here re-keys every stored row: replays would no longer collapse into the same rows.
const GOLDEN: [EventIdInput, number, string][] = [
  [{ deviceId: '356307042441013', eventTime: 1560161086000, priority: 1, eventIoId: 1, lat: 0, lon: 0 }, 0, 'dc35f346-73ba-8611-8baf-01a11ffa3a24'],
  [{ deviceId: '356307042441013', eventTime: 1700000000000, priority: 0, eventIoId: 0, lat: 54.7009616, lon: 25.2598066 }, 0, '23a6f3d6-acc7-8dcd-b5d3-7e3237f4b48d'],
  [{ deviceId: '356307042441013', eventTime: 1700000000000, priority: 0, eventIoId: 0, lat: 54.7009616, lon: 25.2598066 }, 1, '9381b044-b4a6-88ee-9def-6d5e9053315b'],
  [{ deviceId: 'SN-42.a_b:c', eventTime: 0, priority: 2, eventIoId: 65535, lat: -89.9999999, lon: -179.9999999 }, 0, '1fb94249-f42f-8314-b175-255b9a031b51'],
  [{ deviceId: '7', eventTime: 9007199254740991, priority: 255, eventIoId: 239, lat: -13.087822, lon: 147.5585701 }, 3, 'ea0274d6-2bdf-88e6-b9a6-0444bb2511b7'],
  // rounds to latE7 547009616 and lonE7 -0, written "0"
  [{ deviceId: 'x', eventTime: 1, priority: 0, eventIoId: 0, lat: 54.70096155, lon: -0.00000005 }, 0, '94b03289-3652-8848-9b8c-b66e250e2dc4'],
  [{ deviceId: 'd1', eventTime: 0, priority: 0, eventIoId: 0, lat: 0, lon: 0 }, 0, '8decd9d8-e694-87d5-85ad-c4d657ec8e34'],
];

describe('eventId golden values', () => {
  it.each(GOLDEN)('%j, occurrence %d -> %s', (input, occurrence, expected) => {
    expect(eventId(input, occurrence)).toBe(expected);
  });
});
