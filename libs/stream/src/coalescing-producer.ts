import type { StreamProducer } from './kafka/types.ts';
import { TurnCoalescer } from './turn-coalescer.ts';
import type { OutboundRecord } from './types.ts';

/**
 * A producer whose sends issued in the same turn of the event loop go to Kafka as one request
 * ({@link TurnCoalescer}: the partition chunks of one fetch each send their outputs; merged, in
 * call order, a partition's order kept; a refused merged request is sent again per caller, so a
 * record Kafka refuses fails only the chunk that holds it). Transactions are not merged:
 * `transaction()` is the inner producer's.
 */
export function coalescingProducer(inner: StreamProducer): StreamProducer & { readonly requests: number } {
  const sends = new TurnCoalescer<OutboundRecord>((records) => inner.send(records));
  return {
    get requests() {
      return sends.calls;
    },
    connect: () => inner.connect(),
    disconnect: () => inner.disconnect(),
    transaction: () => inner.transaction(),
    send: (records) => sends.submit(records),
  };
}
