import { MultipleErrors, ProtocolError } from '@platformatic/kafka';
import kafkajs from 'kafkajs';
import { isFatal, isRetryable, StreamError } from '../src/index.ts';

/** What each client throws for a broker's error code, as a service sees it (wrapped by the adapter). */
const fromClient = {
  // kafkajs builds it from the broker's error entry (its typings say Error).
  kafkajs: (name: string) => new kafkajs.KafkaJSProtocolError({ type: name, code: 0, retriable: false, message: name } as unknown as Error),
  platformatic: (name: string) => new MultipleErrors('produce failed', [new ProtocolError(name)]),
};

describe.each(Object.entries(fromClient))('Kafka errors from %s', (_client, make) => {
  const wrapped = (name: string) => new StreamError('STREAM_PRODUCE_FAILED', 'produce failed', { retryable: true, cause: make(name) });

  test.each(['TOPIC_AUTHORIZATION_FAILED', 'GROUP_AUTHORIZATION_FAILED', 'SASL_AUTHENTICATION_FAILED', 'UNKNOWN_TOPIC_OR_PARTITION'])('%s stops the service (fatal, never retried)', (name) => {
    expect(isFatal(wrapped(name))).toBe(true);
    expect(isRetryable(wrapped(name))).toBe(false);
  });

  test.each(['MESSAGE_TOO_LARGE', 'CORRUPT_MESSAGE'])('%s blames the records: not retried, not fatal', (name) => {
    expect(isFatal(wrapped(name))).toBe(false);
    expect(isRetryable(wrapped(name))).toBe(false);
  });

  test('a leader change is neither', () => {
    expect(isFatal(wrapped('NOT_LEADER_OR_FOLLOWER'))).toBe(false);
  });
});
