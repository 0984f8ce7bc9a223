import { describe, expect, it } from '@jest/globals';
import { AdaptiveConcurrency, ConfigError, loadConfig } from '@fleetstream/stream';
import { storeConfigSchema } from '../src/config.ts';
import { storeConcurrencyOptions } from '../src/service.ts';

/** The store's config as the service reads it (the Kafka and Cassandra addresses are not used here). */
const storeConfig = (env: Record<string, string | undefined>) =>
  loadConfig(storeConfigSchema, {
    KAFKA_BROKERS: '127.0.0.1:1',
    CASSANDRA_CONTACT_POINTS: '127.0.0.1:1',
    ...env,
  });

describe('the store write concurrency config', () => {
  it.each([
    { env: {}, expected: { min: 1, max: 64, initial: 8, slowStart: true } },
    {
      env: { STORE_MAX_CONCURRENCY: '4' },
      expected: { min: 1, max: 4, initial: 4, slowStart: true },
    },
    {
      env: { STORE_MIN_CONCURRENCY: '16', STORE_MAX_CONCURRENCY: '128' },
      expected: { min: 16, max: 128, initial: 16, slowStart: true },
    },
    {
      env: { STORE_INITIAL_CONCURRENCY: '1', STORE_SLOW_START: 'false' },
      expected: { min: 1, max: 64, initial: 1, slowStart: false },
    },
    {
      env: { STORE_INITIAL_CONCURRENCY: '64' },
      expected: { min: 1, max: 64, initial: 64, slowStart: true },
    },
  ])('gives the limiter $expected for $env', ({ env, expected }) => {
    // Act
    const options = storeConcurrencyOptions(storeConfig(env));

    // Assess
    expect(options).toEqual(expected);
    expect(new AdaptiveConcurrency(options).limit).toBe(expected.initial);
  });

  it.each([
    { env: { STORE_INITIAL_CONCURRENCY: '65' }, variable: 'STORE_INITIAL_CONCURRENCY' },
    {
      env: { STORE_MIN_CONCURRENCY: '4', STORE_INITIAL_CONCURRENCY: '2' },
      variable: 'STORE_INITIAL_CONCURRENCY',
    },
    { env: { STORE_INITIAL_CONCURRENCY: '0' }, variable: 'STORE_INITIAL_CONCURRENCY' },
    { env: { STORE_INITIAL_CONCURRENCY: 'many' }, variable: 'STORE_INITIAL_CONCURRENCY' },
    { env: { STORE_MIN_CONCURRENCY: '65' }, variable: 'STORE_MIN_CONCURRENCY' },
    { env: { STORE_SLOW_START: 'maybe' }, variable: 'STORE_SLOW_START' },
  ])('rejects $env with STREAM_CONFIG_INVALID naming $variable', ({ env, variable }) => {
    // Act
    let thrown: unknown;
    try {
      storeConfig(env);
    } catch (err) {
      thrown = err;
    }

    // Assess
    expect(thrown).toBeInstanceOf(ConfigError);
    expect(thrown).toMatchObject({ code: 'STREAM_CONFIG_INVALID', variable });
  });
});
