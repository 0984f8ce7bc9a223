import { z } from 'zod';
import { ConfigError, consumerConfigShape, exactlyOnceConfigShape, exactlyOnceFromConfig, loadConfig } from '../src/index.ts';

const schema = z.object({ ...consumerConfigShape, ...exactlyOnceConfigShape });
const load = (env: Record<string, string>) => loadConfig(schema, env);

describe('EXACTLY_ONCE and TRANSACTIONAL_ID', () => {
  test('off by default: the stage keeps the at-least-once sink, whatever else is set', () => {
    expect(exactlyOnceFromConfig('parse', load({}))).toBeUndefined();
    expect(exactlyOnceFromConfig('parse', load({ TRANSACTIONAL_ID: 'tx-1', HOSTNAME: 'parse-0' }))).toBeUndefined();
  });

  test.each([
    [{ EXACTLY_ONCE: 'true', TRANSACTIONAL_ID: 'tx-parse-a' }, 'tx-parse-a'],
    [{ EXACTLY_ONCE: 'true', TRANSACTIONAL_ID: 'tx-parse-a', HOSTNAME: 'parse-0' }, 'tx-parse-a'],
    [{ EXACTLY_ONCE: 'yes', HOSTNAME: 'parse-0' }, 'fleetstream-parse-parse-0'],
  ])('%j gives the transactional id %s', (env, id) => {
    expect(exactlyOnceFromConfig('parse', load(env))).toEqual({ transactionalId: id });
  });

  test('on without TRANSACTIONAL_ID or HOSTNAME is a ConfigError naming TRANSACTIONAL_ID (no id shared by accident)', () => {
    const config = load({ EXACTLY_ONCE: 'true' });
    expect(() => exactlyOnceFromConfig('parse', config)).toThrow(ConfigError);
    expect(() => exactlyOnceFromConfig('parse', config)).toThrow(/^TRANSACTIONAL_ID: is required when EXACTLY_ONCE is true/);
  });

  test('a malformed EXACTLY_ONCE is named', () => {
    expect(() => load({ EXACTLY_ONCE: 'maybe' })).toThrow(/^EXACTLY_ONCE: must be true or false/);
  });
});
