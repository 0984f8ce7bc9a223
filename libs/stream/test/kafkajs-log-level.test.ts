import kafkajs from 'kafkajs';
import { kafkajsPinoLevel } from '../src/kafka/kafkajs-client.ts';

const { logLevel } = kafkajs;

describe('the pino level of kafkajs log entries', () => {
  test("a broker's error answer to one request is a warning: kafkajs retries it or throws to the caller", () => {
    // Seen at every demo start on a fresh broker (before this, at level error).
    expect(kafkajsPinoLevel(logLevel.ERROR, 'Connection', 'Response GroupCoordinator(key: 10, version: 2)')).toBe('warn');
    expect(kafkajsPinoLevel(logLevel.ERROR, 'Connection', 'Response InitProducerId(key: 22, version: 1)')).toBe('warn');
  });

  test('a failed connection, a crashed consumer and any other kafkajs error stay errors; warnings stay warnings', () => {
    expect(kafkajsPinoLevel(logLevel.ERROR, 'Connection', 'Connection error: connect ECONNREFUSED 127.0.0.1:19092')).toBe('error');
    expect(kafkajsPinoLevel(logLevel.ERROR, 'Consumer', 'Crash: KafkaJSNumberOfRetriesExceeded: Response Fetch')).toBe('error');
    expect(kafkajsPinoLevel(logLevel.ERROR, 'Producer', 'Response Produce(key: 0, version: 7)')).toBe('error');
    expect(kafkajsPinoLevel(logLevel.WARN, 'Consumer', 'The coordinator is not aware of this member, re-joining the group')).toBe('warn');
  });

  test("every idempotent producer's bounded-retries warning is info, not a warning: the consumer runner resends a failed chunk itself", () => {
    expect(kafkajsPinoLevel(logLevel.WARN, 'Producer', 'Limiting retries for the idempotent producer may invalidate EoS guarantees')).toBe('info');
  });
});
