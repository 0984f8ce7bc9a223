import { newClusterId } from '../src/kafka.ts';

describe('the Kafka cluster id the devstack formats storage with', () => {
  test("is drawn again when it would start with '-' (the storage tool would take it for an option)", () => {
    // 0xf8 encodes to '-' as the first base64url character.
    const draws = [Buffer.alloc(16, 0xf8), Buffer.alloc(16, 0x00)];
    const id = newClusterId(() => draws.shift() as Buffer);
    expect(Buffer.alloc(16, 0xf8).toString('base64url').startsWith('-')).toBe(true);
    expect(id).toBe(Buffer.alloc(16, 0x00).toString('base64url'));
    expect(draws).toHaveLength(0);
  });

  test('is 22 base64url characters, never with a leading dash, over many draws', () => {
    for (let i = 0; i < 5_000; i++) {
      const id = newClusterId();
      expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    }
  });
});
