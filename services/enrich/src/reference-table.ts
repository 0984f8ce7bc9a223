import type { Logger } from 'pino';
import type { InboundRecord, KafkaClient, PartitionBatch, StreamConsumer } from '@fleetstream/stream';
import { toAsset, type Asset } from './event.ts';

/** Options of {@link ReferenceTable}. */
export interface ReferenceTableOptions {
  kafka: KafkaClient;
  /** The compacted topic of asset rows (reference.assets). */
  topic: string;
  /** Unique per instance: every instance reads the whole topic, and commits nothing. */
  groupId: string;
  logger: Logger;
  /** Called with the table size after each batch. */
  onSize?: (size: number) => void;
}

/**
 * The local table deviceId -> asset, built from the compacted topic reference.assets: read from
 * the beginning at start, caught up once every partition reached the high watermark read at start,
 * then kept up to date live. A row's value is the asset as JSON (with `deviceId`; the record key
 * is used when it has none); a tombstone (null value) deletes by key, the key being a device id or
 * an asset id.
 */
export class ReferenceTable {
  readonly #o: ReferenceTableOptions;
  readonly #byDevice = new Map<string, Asset>();
  /** assetId -> deviceId, so a tombstone keyed by asset id finds its row. */
  readonly #deviceOfAsset = new Map<string, string>();
  /** Partition -> offset the table must reach to be caught up (high watermark at start). */
  readonly #pending = new Map<number, bigint>();
  #consumer: StreamConsumer | undefined;
  #caughtUp = false;
  #resolveCaughtUp!: () => void;
  readonly #caughtUpPromise = new Promise<void>((resolve) => (this.#resolveCaughtUp = resolve));

  constructor(options: ReferenceTableOptions) {
    this.#o = options;
  }

  /** True once the table holds every row written before start. */
  get caughtUp(): boolean {
    return this.#caughtUp;
  }

  get size(): number {
    return this.#byDevice.size;
  }

  get(deviceId: string): Asset | undefined {
    return this.#byDevice.get(deviceId);
  }

  /** Reads the high watermarks, then starts consuming from the beginning (resolves once running, not caught up). */
  async start(): Promise<void> {
    const admin = this.#o.kafka.admin();
    await admin.connect();
    try {
      for (const { partition, high, low } of await admin.fetchTopicOffsets(this.#o.topic)) {
        if (BigInt(high) > BigInt(low)) this.#pending.set(partition, BigInt(high));
      }
    } finally {
      await admin.disconnect();
    }
    this.#checkCaughtUp();
    const consumer = this.#o.kafka.consumer({ groupId: this.#o.groupId, topics: [this.#o.topic], fromBeginning: true, partitionsConsumedConcurrently: 1 });
    this.#consumer = consumer;
    await consumer.connect();
    await consumer.run(async (batch, control) => {
      this.applyBatch(batch);
      control.resolveOffset(batch.lastOffset);
      await control.heartbeat();
    });
  }

  /** Resolves once the table caught up (see {@link caughtUp}). */
  whenCaughtUp(): Promise<void> {
    return this.#caughtUpPromise;
  }

  async stop(): Promise<void> {
    await this.#consumer?.disconnect();
    this.#consumer = undefined;
  }

  /** Applies one partition batch and advances the catch-up state. */
  applyBatch(batch: PartitionBatch): void {
    for (const r of batch.records) this.apply(r);
    const target = this.#pending.get(batch.partition);
    // lastOffset covers transaction markers too, so a transactional writer's last commit marker counts.
    if (target !== undefined && BigInt(batch.lastOffset) + 1n >= target) {
      this.#pending.delete(batch.partition);
      this.#checkCaughtUp();
    }
    this.#o.onSize?.(this.#byDevice.size);
  }

  /** Applies one row: upsert, or delete on a tombstone. Rows that are not assets are skipped. */
  apply(record: InboundRecord): void {
    const key = record.key?.toString('utf8');
    if (record.value === null || record.value.length === 0) {
      if (key === undefined) return;
      this.#delete(this.#byDevice.has(key) ? key : this.#deviceOfAsset.get(key));
      return;
    }
    let obj: unknown;
    try {
      obj = JSON.parse(record.value.toString('utf8'));
    } catch {
      this.#o.logger.warn({ topic: record.topic, partition: record.partition, offset: record.offset }, 'reference row is not JSON; skipped');
      return;
    }
    const asset = toAsset(obj);
    const deviceId = (obj as { deviceId?: unknown } | null)?.deviceId;
    const device = typeof deviceId === 'string' && deviceId.length > 0 ? deviceId : key;
    if (!asset || device === undefined) {
      this.#o.logger.warn({ topic: record.topic, partition: record.partition, offset: record.offset }, 'reference row is not an asset (no assetId) or has no device id; skipped');
      return;
    }
    const previous = this.#byDevice.get(device);
    if (previous?.assetId) this.#deviceOfAsset.delete(previous.assetId);
    this.#byDevice.set(device, asset);
    if (asset.assetId) this.#deviceOfAsset.set(asset.assetId, device);
  }

  #delete(deviceId: string | undefined): void {
    if (deviceId === undefined) return;
    const asset = this.#byDevice.get(deviceId);
    if (asset?.assetId) this.#deviceOfAsset.delete(asset.assetId);
    this.#byDevice.delete(deviceId);
  }

  #checkCaughtUp(): void {
    if (this.#caughtUp || this.#pending.size > 0) return;
    this.#caughtUp = true;
    this.#o.logger.info({ topic: this.#o.topic, size: this.#byDevice.size }, 'reference table caught up');
    this.#resolveCaughtUp();
  }
}
