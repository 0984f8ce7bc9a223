import type { StreamProducer } from './kafka/types.ts';
import type { OutboundRecord } from './types.ts';

interface Pending {
  records: OutboundRecord[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * A producer whose sends issued in the same turn of the event loop go to Kafka as one request:
 * the partition chunks of one fetch are transformed side by side and each sends its outputs, so
 * at moderate load a stage sent up to a request per input partition for a few records each (a
 * request costs the broker and the client far more than a record). Sends are held until
 * `setImmediate` — after the I/O callbacks and promise jobs of the turn, so no timer and no added
 * wait — then concatenated in call order (a partition's order is kept: each caller's records stay
 * in its order, and a partition's next chunk is sent only after its previous one resolved).
 *
 * Each caller still learns the outcome of its own records only: when a merged send fails, the
 * callers' records are sent again one caller at a time, so a record Kafka refuses (too large,
 * corrupt) fails the chunk that holds it and not its neighbours (whose records may be written
 * twice — at-least-once, as any retried send). Transactions are not merged: `transaction()` is the
 * inner producer's.
 */
export function coalescingProducer(inner: StreamProducer): StreamProducer & { readonly requests: number } {
  let pending: Pending[] = [];
  let scheduled = false;
  let requests = 0;

  const send = async (records: OutboundRecord[]) => {
    requests += 1;
    await inner.send(records);
  };

  const flush = async () => {
    scheduled = false;
    const batch = pending;
    pending = [];
    if (batch.length === 1) {
      const only = batch[0]!;
      return send(only.records).then(only.resolve, only.reject);
    }
    try {
      await send(batch.flatMap((p) => p.records));
      for (const p of batch) p.resolve();
    } catch {
      // One caller's bad record must not fail the others: each tries its own records again.
      for (const p of batch) void send(p.records).then(p.resolve, p.reject);
    }
  };

  return {
    get requests() {
      return requests;
    },
    connect: () => inner.connect(),
    disconnect: () => inner.disconnect(),
    transaction: () => inner.transaction(),
    send(records) {
      if (records.length === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        pending.push({ records, resolve, reject });
        if (!scheduled) {
          scheduled = true;
          setImmediate(() => void flush());
        }
      });
    },
  };
}
