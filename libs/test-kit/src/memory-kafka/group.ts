import type { MemoryKafka } from './memory-kafka.ts';
import type { MemoryConsumer } from './consumer.ts';

/**
 * A consumer group: its committed offsets, its members and their rebalances. A rebalance, like
 * Kafka's eager protocol as kafkajs runs it, tells every member it is rebalancing, waits (up to the
 * rebalance timeout) for their running batches to return — commits are accepted meanwhile — then
 * bumps the generation and hands out the partitions round-robin. Rebalances run one at a time.
 */
export class Group {
  readonly id: string;
  /** `topic:partition` -> next offset to read. */
  readonly committed = new Map<string, bigint>();
  readonly #kafka: MemoryKafka;
  #members: MemoryConsumer[] = [];
  #generation = 0;
  #chain: Promise<void> = Promise.resolve();

  constructor(kafka: MemoryKafka, id: string) {
    this.#kafka = kafka;
    this.id = id;
  }

  get generation(): number {
    return this.#generation;
  }

  get members(): readonly MemoryConsumer[] {
    return this.#members;
  }

  /** Adds a member and rebalances; resolves once it has its assignment. */
  join(member: MemoryConsumer): Promise<void> {
    this.#members.push(member);
    return this.rebalance();
  }

  /** Removes a member (it already stopped) and rebalances the others. */
  leave(member: MemoryConsumer): Promise<void> {
    this.#members = this.#members.filter((m) => m !== member);
    return this.rebalance();
  }

  /** Resolves when the rebalances asked for so far are done. */
  stable(): Promise<void> {
    return this.#chain;
  }

  rebalance(): Promise<void> {
    const run = this.#chain.then(async () => {
      const members = [...this.#members];
      for (const m of members) m.revoking();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>(
        (r) => (timer = setTimeout(r, this.#kafka.options.rebalanceTimeoutMs)),
      );
      await Promise.race([Promise.all(members.map((m) => m.drained())), timeout]);
      clearTimeout(timer);
      this.#generation += 1;
      const current = [...this.#members];
      const plan = this.#assign(current);
      for (const m of current) m.assign(plan.get(m) ?? [], this.#generation);
      this.#kafka.notify();
    });
    this.#chain = run.catch(() => undefined);
    return run;
  }

  /** Round-robin over every subscribed partition, members in join order (Kafka's RoundRobinAssignor). */
  #assign(members: MemoryConsumer[]): Map<MemoryConsumer, { topic: string; partition: number }[]> {
    const plan = new Map<MemoryConsumer, { topic: string; partition: number }[]>(
      members.map((m) => [m, []]),
    );
    const topics = [...new Set(members.flatMap((m) => m.topics))].sort();
    let next = 0;
    for (const topic of topics) {
      if (!this.#kafka.hasTopic(topic)) continue;
      const subscribers = members.filter((m) => m.topics.includes(topic));
      for (const log of this.#kafka.partitions(topic)) {
        plan
          .get(subscribers[next++ % subscribers.length]!)!
          .push({ topic, partition: log.partition });
      }
    }
    return plan;
  }
}
