import type cassandra from 'cassandra-driver';
import { DlqHeaders, type InboundRecord, type KafkaClient, type StreamAdmin } from '@fleetstream/stream';
import type { AckLedger } from './ledger.ts';
import type { RunNames } from './chaos-pipeline.ts';
import { CHAOS_BAD_HEADER } from './bad-inputs.ts';
import { readTopics } from './topic-reader.ts';
import type { RegisterRow } from './assets.ts';

/** What the run's topics hold, read to their end. */
export interface TopicCounts {
  rawRecords: number;
  rawBadOnPurpose: number;
  parsedRecords: number;
  parsedDistinct: number;
  enrichedRecords: number;
  assetRecords: number;
  assetVersions: number;
  complete: boolean;
}

export interface DlqAccount {
  /** Distinct DLQ records: one per source record (topic, partition, offset) however often it was sent. */
  records: number;
  /** DLQ records that repeat one already counted: a source record dead-lettered again after a replay (kill -9 before the commit). */
  duplicates: number;
  badOnPurpose: number;
  unexplained: number;
  byReason: Record<string, number>;
  /** eventIds named by DLQ records that were not bad on purpose (they explain an acked event, but not why). */
  eventIds: Set<string>;
}

function eventIdOf(value: Buffer | null): string | undefined {
  if (!value) return undefined;
  try {
    const v = JSON.parse(value.toString('utf8')) as { eventId?: unknown };
    return typeof v.eventId === 'string' ? v.eventId : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Classifies the DLQ records that came from a run (their source topic is one of `ownTopics`), one
 * per source record: the DLQ is written at least once, like every output, so a record dead-lettered
 * between the last commit and a kill -9 is read and dead-lettered again after the restart, under
 * the same source position; that copy is counted as a duplicate, not as another record.
 */
export class DlqLedger {
  readonly account: DlqAccount = { records: 0, duplicates: 0, badOnPurpose: 0, unexplained: 0, byReason: {}, eventIds: new Set() };
  readonly #ownTopics: ReadonlySet<string>;
  readonly #sources = new Set<string>();

  constructor(ownTopics: ReadonlySet<string>) {
    this.#ownTopics = ownTopics;
  }

  add(r: InboundRecord): void {
    const h = r.headers;
    const sourceTopic = h[DlqHeaders.sourceTopic] ?? '';
    if (!this.#ownTopics.has(sourceTopic)) return;
    const a = this.account;
    const source = `${sourceTopic}\u0000${h[DlqHeaders.sourcePartition] ?? ''}\u0000${h[DlqHeaders.sourceOffset] ?? ''}`;
    if (this.#sources.has(source)) {
      a.duplicates += 1;
      return;
    }
    this.#sources.add(source);
    a.records += 1;
    const reason = h[DlqHeaders.errorClass] ?? '(none)';
    a.byReason[reason] = (a.byReason[reason] ?? 0) + 1;
    if (h[CHAOS_BAD_HEADER] !== undefined) {
      a.badOnPurpose += 1;
    } else {
      a.unexplained += 1;
      const id = eventIdOf(r.value);
      if (id) a.eventIds.add(id);
    }
  }
}

/**
 * Reads the run's topics once: counts raw, parsed (total and distinct eventIds), enriched and
 * asset records, and classifies the DLQ records that came from the run (the run's DLQ topic, plus
 * records of the shared telemetry.dlq whose source topic is one of the run's).
 */
export async function readRunTopics(kafka: KafkaClient, admin: StreamAdmin, names: RunNames, sharedDlq: string): Promise<{ counts: TopicCounts; dlq: DlqAccount }> {
  const t = names.topics;
  const own = new Set(Object.values(t));
  const parsedIds = new Set<string>();
  const assetVersions = new Set<string>();
  const counts: TopicCounts = { rawRecords: 0, rawBadOnPurpose: 0, parsedRecords: 0, parsedDistinct: 0, enrichedRecords: 0, assetRecords: 0, assetVersions: 0, complete: true };
  const dlq = new DlqLedger(own);
  const topics = [t.raw, t.parsed, t.enriched, t.dlq, t.assets, sharedDlq];
  const { complete } = await readTopics(kafka, admin, topics, (r) => {
    switch (r.topic) {
      case t.raw:
        counts.rawRecords += 1;
        if (r.headers[CHAOS_BAD_HEADER] !== undefined) counts.rawBadOnPurpose += 1;
        break;
      case t.parsed: {
        counts.parsedRecords += 1;
        const id = eventIdOf(r.value);
        if (id) parsedIds.add(id);
        break;
      }
      case t.enriched:
        counts.enrichedRecords += 1;
        break;
      case t.assets:
        counts.assetRecords += 1;
        assetVersions.add(`${r.key?.toString('utf8')}\u0000${r.headers['source.position'] ?? r.value?.toString('utf8') ?? 'tombstone'}`);
        break;
      default:
        dlq.add(r);
    }
  });
  counts.parsedDistinct = parsedIds.size;
  counts.assetVersions = assetVersions.size;
  counts.complete = complete;
  return { counts, dlq: dlq.account };
}

/**
 * Per (device, day) partition of the ledger, the eventIds found in positions_by_device_day, and
 * how many of them were written from each enriched schema version.
 */
export async function countRows(
  client: cassandra.Client,
  keyspace: string,
  ledger: AckLedger,
  concurrency = 16,
): Promise<{ rows: number; foreignRows: number; repeatedRows: number; found: Set<string>; bySchemaVersion: Record<string, number> }> {
  const cql = `SELECT event_id, schema_version FROM ${keyspace}.positions_by_device_day WHERE device_id = ? AND day = ?`;
  const bySchemaVersion: Record<string, number> = {};
  const parts: [string, string, Set<string>][] = [];
  for (const [device, days] of ledger.byPartition) for (const [day, ids] of days) parts.push([device, day, ids]);
  const found = new Set<string>();
  let foreignRows = 0;
  // A second row of an acked event: a repeat that did not collapse (the row key must be the event's).
  let repeatedRows = 0;
  let next = 0;
  const worker = async () => {
    while (next < parts.length) {
      const [device, day, ids] = parts[next++]!;
      let pageState: string | undefined;
      do {
        const rs = await client.execute(cql, [device, day], { prepare: true, fetchSize: 5_000, pageState });
        for (const row of rs.rows) {
          const id = String(row.event_id);
          if (!ids.has(id)) foreignRows += 1;
          else if (!found.has(id)) {
            found.add(id);
            const v = String(row.schema_version);
            bySchemaVersion[v] = (bySchemaVersion[v] ?? 0) + 1;
          } else repeatedRows += 1;
        }
        pageState = rs.pageState ?? undefined;
      } while (pageState);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { rows: found.size, foreignRows, repeatedRows, found, bySchemaVersion };
}

/**
 * The devices whose last reference.assets record disagrees with the register (a soft-deleted row
 * needs a tombstone, a live row a record with its current owner): what the SQL source missed.
 */
export async function registerGaps(kafka: KafkaClient, admin: StreamAdmin, topic: string, register: Map<string, RegisterRow>): Promise<string[]> {
  const latest = new Map<string, string | null>();
  await readTopics(kafka, admin, [topic], (r) => {
    if (r.key) latest.set(r.key.toString('utf8'), r.value ? r.value.toString('utf8') : null);
  });
  const gaps: string[] = [];
  for (const [device, row] of register) {
    const last = latest.get(device);
    if (row.deleted ? last !== null : typeof last !== 'string' || (JSON.parse(last) as { owner?: unknown }).owner !== row.owner) gaps.push(device);
  }
  return gaps;
}
