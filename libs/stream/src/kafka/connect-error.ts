import { errorChain, StreamError } from '../errors.ts';

type Fields = { name?: unknown; code?: unknown; apiId?: unknown; type?: unknown; message?: unknown };

/**
 * The SASL refusal in an error of either client, if any: kafkajs' KafkaJSSASLAuthenticationError
 * (or a broker answer of type SASL_AUTHENTICATION_FAILED), @platformatic/kafka's
 * AuthenticationError (PLT_KFK_AUTHENTICATION) or ProtocolError with apiId SASL_AUTHENTICATION_FAILED,
 * which it may wrap in a MultipleErrors (an AggregateError) per broker tried.
 */
function saslRefusal(err: unknown): Fields | undefined {
  for (const e of errorChain(err) as Generator<Fields>) {
    if (e.name === 'KafkaJSSASLAuthenticationError' || e.code === 'PLT_KFK_AUTHENTICATION') return e;
    if (e.type === 'SASL_AUTHENTICATION_FAILED' || e.apiId === 'SASL_AUTHENTICATION_FAILED') return e;
  }
  return undefined;
}

/**
 * What a client's `connect()` throws, the same on both adapters: a refused SASL login becomes a
 * StreamError STREAM_KAFKA_AUTH_FAILED (not retryable, fatal: no retry fixes a wrong password), with
 * the user and the library's message but never the password; any other error is returned as it is.
 */
export function connectError(err: unknown, username: string | undefined): unknown {
  const refusal = saslRefusal(err);
  if (!refusal) return err;
  const said = typeof refusal.message === 'string' ? refusal.message : String(err);
  return new StreamError('STREAM_KAFKA_AUTH_FAILED', `Kafka SASL authentication failed for user ${username ?? '(none)'}: ${said}`, { cause: err, details: { username } });
}

/** `part` with its `connect()` failing as {@link connectError} says (the adapters' parts are plain objects). */
export function withConnectError<T extends { connect(): Promise<void> }>(part: T, username: string | undefined): T {
  return {
    ...part,
    connect: () =>
      part.connect().catch((err: unknown) => {
        throw connectError(err, username);
      }),
  };
}
