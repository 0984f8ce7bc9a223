import { tally } from '../src/index.ts';

describe('tally (what exactly-once and at-least-once assertions count)', () => {
  test('each expected id once: nothing duplicated, missing or unexpected', () => {
    expect(tally(['a', 'b', 'c'], ['c', 'a', 'b'])).toEqual({
      duplicated: 0,
      missing: 0,
      unexpected: 0,
    });
  });

  test('repeats, gaps and strangers are counted apart', () => {
    expect(tally(['a', 'b', 'c'], ['a', 'a', 'a', 'c', 'x', 'x'])).toEqual({
      duplicated: 2,
      missing: 1,
      unexpected: 2,
    });
  });

  test('an id expected twice (two inputs, same event) must be seen twice', () => {
    expect(tally(['a', 'a'], ['a'])).toEqual({ duplicated: 0, missing: 1, unexpected: 0 });
    expect(tally(['a', 'a'], ['a', 'a', 'a'])).toEqual({
      duplicated: 1,
      missing: 0,
      unexpected: 0,
    });
  });
});
