/**
 * kafkajs 2.2.4's consumer Batch (consumer/batch.js) without a Long per message: it keeps the
 * messages at or after the fetched offset by parsing every message's offset (a decimal string) into
 * a Long (a BigInt) to compare. This one compares numbers when both offsets are short decimal
 * strings (up to 15 digits: exact as numbers) and asks kafkajs' Long otherwise, so the result is
 * the same, field for field, and the instance has kafkajs' prototype (its methods, instanceof).
 * kafkajs-fast-paths.ts puts it in Node's module cache in place of kafkajs' file.
 */

/** What a fetch hands a Batch for one partition (kafkajs' partitionData). */
export interface PartitionData {
  partition: number;
  highWatermark: string;
  abortedTransactions?: unknown[];
  messages: { offset: unknown; isControlRecord?: boolean }[];
}

/** kafkajs' Long, as far as the filter uses it. */
export interface KafkajsLong {
  fromValue(v: unknown): { gte(other: unknown): boolean };
}

/** `s` as a number when it is "-"? followed by 1 to 15 decimal digits (exact as a number), else undefined. */
export function shortDecimal(s: unknown): number | undefined {
  if (typeof s !== 'string') return undefined;
  const n = s.length;
  const start = n > 0 && s.charCodeAt(0) === 45 ? 1 : 0;
  if (n - start < 1 || n - start > 15) return undefined;
  for (let i = start; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
  }
  return Number(s);
}

/**
 * The replacement module's export: a constructor with kafkajs' Batch prototype, on kafkajs' Long
 * and filterAbortedMessages.
 */
export function createBatch(
  Original: { prototype: object },
  Long: KafkajsLong,
  filterAbortedMessages: (o: { messages: PartitionData['messages']; abortedTransactions?: unknown[] }) => PartitionData['messages'],
) {
  function Batch(this: Record<string, unknown>, topic: string, fetchedOffset: unknown, partitionData: PartitionData) {
    this.fetchedOffset = fetchedOffset;
    // kafkajs parses the fetched offset first (a bad one throws here)
    const fetched = shortDecimal(fetchedOffset);
    const longFetchedOffset = fetched === undefined ? Long.fromValue(fetchedOffset) : undefined;
    const { abortedTransactions, messages } = partitionData;
    this.topic = topic;
    this.partition = partitionData.partition;
    this.highWatermark = partitionData.highWatermark;
    this.rawMessages = messages;
    // Fetch can return offsets before the one asked for (compressed batches): not exposed
    const within = messages.filter((message) => {
      const offset = fetched === undefined ? undefined : shortDecimal(message.offset);
      if (offset !== undefined) return offset >= fetched!;
      return Long.fromValue(message.offset).gte(longFetchedOffset ?? Long.fromValue(fetchedOffset));
    });
    this.messagesWithinOffset = within;
    // neither aborted messages nor control records are exposed
    this.messages = filterAbortedMessages({ messages: within, abortedTransactions }).filter((message) => !message.isControlRecord);
  }
  Batch.prototype = Original.prototype;
  return Batch;
}
