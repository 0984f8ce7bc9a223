import { DlqHeaders, type Headers, type InboundRecord, type OutboundRecord } from '@fleetstream/stream';

/** A DLQ record with its headers decoded; the value is described by its length only. */
export interface DlqEntry {
  /** The DLQ coordinates, `topic/partition/offset` (the value of `dlq.replayed` on a replay). */
  at: string;
  partition: number;
  offset: string;
  /** When the record landed in the DLQ (record timestamp, ISO 8601). */
  time: string;
  reason: string;
  sourceTopic: string | null;
  sourcePartition: string | null;
  sourceOffset: string | null;
  service: string | null;
  errorMessage: string | null;
  firstSeen: string | null;
  key: string | null;
  valueBytes: number;
  /** The DLQ coordinates this record was replayed from, when it is a replayed record that failed again. */
  replayedFrom: string | null;
  /** The original record's headers (every header not starting with `dlq.`). */
  headers: Headers;
}

/** What selects DLQ records; every given field must match. */
export interface DlqFilter {
  reason?: string;
  /** Record timestamp (ms) at or after. */
  since?: number;
  sourceTopic?: string;
}

const isDlqHeader = (name: string) => name.startsWith('dlq.');

/** A key as text when it is printable (device ids are), else as `hex:...`. */
function keyText(key: Buffer | null): string | null {
  if (key === null) return null;
  const text = key.toString('utf8');
  return /^[\x20-\x7e]*$/.test(text) ? text : `hex:${key.toString('hex')}`;
}

export function describeDlqRecord(record: InboundRecord): DlqEntry {
  const h = record.headers;
  return {
    at: `${record.topic}/${record.partition}/${record.offset}`,
    partition: record.partition,
    offset: record.offset,
    time: new Date(record.timestamp).toISOString(),
    reason: h[DlqHeaders.errorClass] ?? '(none)',
    sourceTopic: h[DlqHeaders.sourceTopic] ?? null,
    sourcePartition: h[DlqHeaders.sourcePartition] ?? null,
    sourceOffset: h[DlqHeaders.sourceOffset] ?? null,
    service: h[DlqHeaders.service] ?? null,
    errorMessage: h[DlqHeaders.errorMessage] ?? null,
    firstSeen: h[DlqHeaders.firstSeen] ?? null,
    key: keyText(record.key),
    valueBytes: record.value?.length ?? 0,
    replayedFrom: h[DlqHeaders.replayed] ?? null,
    headers: Object.fromEntries(Object.entries(h).filter(([k]) => !isDlqHeader(k))),
  };
}

export function matchesFilter(record: InboundRecord, filter: DlqFilter): boolean {
  const h = record.headers;
  if (filter.reason !== undefined && h[DlqHeaders.errorClass] !== filter.reason) return false;
  if (filter.sourceTopic !== undefined && h[DlqHeaders.sourceTopic] !== filter.sourceTopic) return false;
  if (filter.since !== undefined && record.timestamp < filter.since) return false;
  return true;
}

/** One line of the by-reason summary. */
export interface ReasonSummary {
  reason: string;
  count: number;
  /** Earliest `dlq.first.seen` (else DLQ time) of the group. */
  firstSeen: string;
  /** Latest DLQ time of the group. */
  lastSeen: string;
  sourceTopics: string[];
  services: string[];
}

/** Groups entries by reason, largest group first (then by name). */
export function summarizeByReason(entries: DlqEntry[]): ReasonSummary[] {
  const groups = new Map<string, ReasonSummary>();
  for (const e of entries) {
    const first = e.firstSeen ?? e.time;
    let g = groups.get(e.reason);
    if (!g) groups.set(e.reason, (g = { reason: e.reason, count: 0, firstSeen: first, lastSeen: e.time, sourceTopics: [], services: [] }));
    g.count += 1;
    if (first < g.firstSeen) g.firstSeen = first;
    if (e.time > g.lastSeen) g.lastSeen = e.time;
    if (e.sourceTopic !== null && !g.sourceTopics.includes(e.sourceTopic)) g.sourceTopics.push(e.sourceTopic);
    if (e.service !== null && !g.services.includes(e.service)) g.services.push(e.service);
  }
  for (const g of groups.values()) {
    g.sourceTopics.sort();
    g.services.sort();
  }
  return [...groups.values()].sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
}

/** Why a DLQ record is not replayed, or undefined when it is. */
export function skipReason(record: InboundRecord): string | undefined {
  const replayed = record.headers[DlqHeaders.replayed];
  if (replayed !== undefined) return `already a replay of ${replayed}`;
  if (!record.headers[DlqHeaders.sourceTopic]) return `no ${DlqHeaders.sourceTopic} header`;
  return undefined;
}

/**
 * The record a replay sends: the original key, value and headers (minus every `dlq.*` header)
 * to the source topic, with `overrides` applied and `dlq.replayed` = the DLQ coordinates, so a
 * replayed record that fails again is recognised and never replayed again.
 */
export function replayRecord(record: InboundRecord, overrides: Headers = {}): OutboundRecord {
  const headers: Headers = {};
  for (const [k, v] of Object.entries(record.headers)) if (!isDlqHeader(k)) headers[k] = v;
  Object.assign(headers, overrides);
  headers[DlqHeaders.replayed] = `${record.topic}/${record.partition}/${record.offset}`;
  return { topic: record.headers[DlqHeaders.sourceTopic]!, key: record.key, value: record.value, headers };
}
