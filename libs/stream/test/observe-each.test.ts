import { Histogram, Registry } from 'prom-client';
import { observeEach } from '../src/observe-each.ts';

const histogram = () => new Histogram({ name: 'h_seconds', help: 'h', labelNames: ['service', 'stage'], buckets: [0.001, 0.01, 0.1, 1, 10], registers: [new Registry()] });

describe('observeEach', () => {
  test.each<[string, number[]]>([
    ['values in every bucket, on bounds and past the last', [0, 0.001, 0.0015, 0.01, 0.05, 0.1, 0.7, 1, 3, 10, 11, 3600]],
    ['runs of equal values (records of one chunk share their timestamps), past the last bound too', [0.2, 0.2, 0.2, 0.0015, 0.0015, 20, 20, 0.2, 0, 0]],
    ['one value', [0.2]],
    ['no value', []],
  ])('leaves the histogram as observe per value does: %s', async (_, values) => {
    // Prepare: both histograms already hold another series, which must stay as it is
    const [each, one] = [histogram(), histogram()];
    for (const h of [each, one]) h.observe({ service: 'parse', stage: 'handle' }, 0.5);
    // Act
    observeEach(each, { service: 'parse', stage: 'fetch' }, values.length, (i) => values[i]!);
    for (const v of values) one.observe({ service: 'parse', stage: 'fetch' }, v);
    // Assess
    expect((await each.get()).values).toEqual((await one.get()).values);
  });

  test('refuses a value that is not a number, as observe does', () => {
    expect(() => observeEach(histogram(), { service: 'parse', stage: 'fetch' }, 2, (i) => (i === 0 ? 1 : Number.NaN))).toThrow(TypeError);
  });
});
