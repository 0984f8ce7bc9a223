import { compatibilityPartitioner, ProduceAcks, Producer, stringSerializer } from '@platformatic/kafka';
import type { ConnectionOptions, Message, MessageToProduce } from '@platformatic/kafka';
import type { Logger } from 'pino';
import { StreamError } from '../errors.ts';
import type { OutboundRecord, TopicPartitionOffset } from '../types.ts';
import { slicesByBytes } from './kafkajs-client.ts';
import type { ProducerOptions, StreamProducer, StreamTransaction } from './types.ts';

type PltProducer = Producer<Buffer, Buffer, string, string>;
type PltTransaction = Awaited<ReturnType<PltProducer['beginTransaction']>>;

/** What the library's client options need beyond the connection (see platformatic-client.ts). */
export interface PlatformaticBase extends ConnectionOptions {
  clientId: string;
  bootstrapBrokers: string[];
  timeout: number;
  retries: number;
  retryDelay: number;
}

/**
 * The group membership a transactional offset commit is fenced by (KIP-447): the consumer of that
 * group on the same client, as it stands when the offsets are sent.
 */
export interface GroupMember {
  groupId: string;
  generationId: number;
  memberId: string | null;
  coordinatorId: number | null;
}

const toBuffer = (v: Buffer | string | null): Buffer | undefined => (v === null ? undefined : typeof v === 'string' ? Buffer.from(v) : v);

const toMessage = (r: OutboundRecord): MessageToProduce<Buffer, Buffer, string, string> => ({
  topic: r.topic,
  key: toBuffer(r.key),
  value: toBuffer(r.value),
  headers: r.headers,
  partition: r.partition,
});

/** kafkajs' default partitioner (Java's murmur2 & 0x7fffffff) for keys; round robin without one. */
function partitioner(): (message: MessageToProduce<Buffer, Buffer, string, string>, key: Buffer | undefined) => number {
  let next = 0;
  return (message, key) => (key ? compatibilityPartitioner(message, key) : next++ & 0x7fffffff);
}

/**
 * An idempotent (acks=all) producer on @platformatic/kafka; with a `transactionalId`, Kafka
 * transactions whose offsets are committed with the group generation of `member(groupId)`, so a
 * member that lost its partitions in a rebalance cannot commit them (ILLEGAL_GENERATION aborts its
 * transaction) — the fencing kafkajs lacks.
 *
 * The library keeps one open transaction per producer and forgets it only when EndTxn succeeds or
 * the producer is fenced. When an abort fails (the coordinator unreachable), the adapter replaces
 * the library producer: the next transaction's InitProducerId bumps the epoch, which makes the
 * broker abort the one left open, as the Java client's recovery does.
 */
export function platformaticProducer(base: PlatformaticBase, o: ProducerOptions, member: (groupId: string) => GroupMember | undefined, log?: Logger): StreamProducer {
  const make = (): PltProducer => {
    const p: PltProducer = new Producer({
      ...base,
      timeout: o.timeoutMs ?? base.timeout,
      idempotent: true,
      acks: ProduceAcks.ALL,
      compression: o.compression === 'gzip' ? 'gzip' : 'none',
      autocreateTopics: false,
      partitioner: partitioner(),
      serializers: { headerKey: stringSerializer, headerValue: stringSerializer },
      ...(o.transactionalId ? { transactionalId: o.transactionalId } : {}),
    });
    p.on('error', () => undefined); // failures surface as rejected sends
    return p;
  };
  let producer = make();
  const maxRequestBytes = o.maxRequestBytes ?? 512 * 1024;

  const replace = async (reason: unknown): Promise<void> => {
    log?.warn({ err: reason, transactionalId: o.transactionalId }, 'transaction left open: replacing the producer so the next one aborts it');
    const old = producer;
    producer = make();
    await old.close(true).catch(() => undefined);
  };

  const transaction = async (): Promise<StreamTransaction> => {
    if (!o.transactionalId) throw new StreamError('STREAM_CONFIG_INVALID', 'transaction() needs a producer created with a transactionalId');
    const p = producer;
    let tx: PltTransaction;
    try {
      // -1/-1: "a new producer" to InitProducerId (KIP-360). The library's default, 0/0, names an
      // existing producer, so a restart after a kill -9 would be told PRODUCER_FENCED forever.
      tx = await p.beginTransaction({ producerId: -1n, producerEpoch: -1 });
    } catch (err) {
      // "There is already an active transaction": one was left open by a failure we did not see.
      if (p === producer) await replace(err);
      throw err;
    }
    return {
      send: async (records) => {
        for (const slice of slicesByBytes(records, maxRequestBytes)) await tx.send({ messages: slice.map(toMessage) });
      },
      sendOffsets: (groupId, offsets) => sendOffsets(tx, member(groupId) ?? { groupId, generationId: -1, memberId: null, coordinatorId: null }, offsets),
      commit: async () => {
        await tx.commit();
      },
      abort: async () => {
        try {
          await tx.abort();
        } catch (err) {
          if (p === producer) await replace(err);
          throw err;
        }
      },
    };
  };

  return {
    connect: async () => {
      await producer.metadata({ topics: [] });
    },
    disconnect: () => producer.close(),
    send: async (records) => {
      if (records.length === 0) return;
      try {
        // One request per slice of at most maxRequestBytes, in order (see kafkajs-client.ts).
        for (const slice of slicesByBytes(records, maxRequestBytes)) await producer.send({ messages: slice.map(toMessage) });
      } catch (err) {
        throw new StreamError('STREAM_PRODUCE_FAILED', `produce of ${records.length} records failed: ${(err as Error).message}`, { retryable: true, cause: err });
      }
    },
    transaction,
  };
}

/**
 * AddOffsetsToTxn, then one TxnOffsetCommit per partition. The library commits a consumed
 * message's offset + 1 with its consumer's membership; ours are already "next to read" offsets, so
 * each becomes the message before it. A group without a member on this client (a tool committing
 * for a group it does not join) commits unfenced (generation -1), as kafkajs always does, which
 * needs the member's coordinator: that case is refused.
 */
async function sendOffsets(tx: PltTransaction, m: GroupMember, offsets: TopicPartitionOffset[]): Promise<void> {
  if (m.coordinatorId === null) {
    throw new StreamError('STREAM_CONFIG_INVALID', `transactional offsets for group ${m.groupId} need a consumer of that group on the same client (its coordinator and generation)`);
  }
  await tx.addConsumer({ groupId: m.groupId } as never);
  for (const { topic, partition, offset } of offsets) {
    const message = {
      topic,
      partition,
      offset: BigInt(offset) - 1n,
      metadata: { consumer: { groupId: m.groupId, generationId: m.generationId, memberId: m.memberId ?? '', coordinatorId: m.coordinatorId } },
    } as unknown as Message<Buffer, Buffer, string, string>;
    await tx.addOffset(message);
  }
}
