import { loadConfig, baseConfigSchema, createKafkajsClient } from '../src/index.ts';
import { createPlatformaticClient } from '../src/kafka/platformatic-client.ts';

const load = (env: Record<string, string>) => loadConfig(baseConfigSchema, { KAFKA_BROKERS: '127.0.0.1:1', ...env });

describe('KAFKA_CLIENT', () => {
  test('is kafkajs unless set; platformatic is the other choice; anything else is named with the rule', () => {
    expect(load({}).KAFKA_CLIENT).toBe('kafkajs');
    expect(load({ KAFKA_CLIENT: 'platformatic' }).KAFKA_CLIENT).toBe('platformatic');
    expect(() => load({ KAFKA_CLIENT: 'confluent' })).toThrow(/^KAFKA_CLIENT: must be kafkajs or platformatic/);
  });

  test('each adapter names itself with its KAFKA_CLIENT value', () => {
    expect(createKafkajsClient({ brokers: ['127.0.0.1:1'], clientId: 'choice-test' }).name).toBe('kafkajs');
    expect(createPlatformaticClient({ brokers: ['127.0.0.1:1'], clientId: 'choice-test' }).name).toBe('platformatic');
  });
});
