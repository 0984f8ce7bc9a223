import { Registry } from 'prom-client';
import { ConfigError, baseConfigSchema, createStreamMetrics, kafkaSink, loadConfig, type KafkaClient } from '../src/index.ts';
import { createPlatformaticClient } from '../src/kafka/platformatic-client.ts';

const load = (env: Record<string, string>) => loadConfig(baseConfigSchema, { KAFKA_BROKERS: '127.0.0.1:1', ...env });

/** A client whose producer is never used: kafkaSink only builds it here. */
function clientWith(transactions: boolean | undefined): KafkaClient {
  const unused = () => {
    throw new Error('not used by this test');
  };
  return { consumer: unused, admin: unused, producer: () => ({}) as ReturnType<KafkaClient['producer']>, ...(transactions === undefined ? {} : { transactions }) };
}

describe('KAFKA_CLIENT', () => {
  test('is kafkajs unless set; platformatic is the other choice; anything else is named with the rule', () => {
    expect(load({}).KAFKA_CLIENT).toBe('kafkajs');
    expect(load({ KAFKA_CLIENT: 'platformatic' }).KAFKA_CLIENT).toBe('platformatic');
    expect(() => load({ KAFKA_CLIENT: 'confluent' })).toThrow(/^KAFKA_CLIENT: must be kafkajs or platformatic/);
  });

  test('the platformatic adapter says it cannot run transactions', () => {
    expect(createPlatformaticClient({ brokers: ['127.0.0.1:1'], clientId: 'choice-test' }).transactions).toBe(false);
  });

  test('an exactly-once Kafka sink on a client without transactions is a ConfigError naming KAFKA_CLIENT; at-least-once is fine', () => {
    const config = load({ KAFKA_CLIENT: 'platformatic' });
    const metrics = createStreamMetrics(new Registry(), 'choice-test');
    const deps = { kafka: clientWith(false), metrics, config };
    expect(() => kafkaSink(deps, { exactlyOnce: { transactionalId: 'tx-1' } })).toThrow(ConfigError);
    expect(() => kafkaSink(deps, { exactlyOnce: { transactionalId: 'tx-1' } })).toThrow(/^KAFKA_CLIENT: platformatic has no Kafka transactions/);
    expect(() => kafkaSink(deps)).not.toThrow();
    expect(() => kafkaSink({ ...deps, kafka: clientWith(undefined) }, { exactlyOnce: { transactionalId: 'tx-1' } })).not.toThrow();
  });
});
