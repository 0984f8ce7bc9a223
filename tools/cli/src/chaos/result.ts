import type { FaultRecord } from './faults.ts';

/** The reconciliation of a chaos run (the --json output). */
export interface ChaosResult {
  /** Distinct events the gateway acknowledged. */
  acked: number;
  /** Acknowledged events found as rows in positions_by_device_day. */
  rows: number;
  /** DLQ records that came from the run, one per source record (repeats after a replay in detail.dlqDuplicates). */
  dlq: number;
  /** Acknowledged events neither a row nor a DLQ record. */
  lost: number;
  /** DLQ records not from an input made bad on purpose. */
  unexplained: number;
  /** Records in the parsed topic beyond the distinct events (at-least-once repeats that collapsed into the same rows). */
  duplicatesCollapsed: number;
  faults: FaultRecord[];
  seconds: number;
  run: Record<string, unknown>;
  detail: Record<string, unknown>;
}

/** The human table of a run. */
export function renderChaosTable(r: ChaosResult): string {
  const d = r.detail;
  const line = (k: string, v: unknown, note = '') => `${k.padEnd(22)} ${String(v).padStart(10)}  ${note}`;
  const out = [
    'fleetstream chaos — reconciliation',
    '',
    line('acked events', r.acked, 'distinct events the gateway acknowledged'),
    line('rows', r.rows, 'of them in Cassandra (positions_by_device_day)'),
    line('acked, in DLQ', d.ackedInDlq, 'of them only in the DLQ'),
    line('rows by version', Object.entries(d.rowsBySchemaVersion as Record<string, number>).map(([v, n]) => `v${v}: ${n}`).join(', ') || '-', 'enriched schema version the rows were written from'),
    line('lost', r.lost, r.lost === 0 ? 'ok' : 'FAILED: acked but neither a row nor in the DLQ'),
    line('dlq records', r.dlq, `bad on purpose ${String(d.dlqBadOnPurpose)} of ${String(d.badRawProduced)} produced; ${String(d.dlqDuplicates)} more sent again after a replay`),
    line('unexplained dlq', r.unexplained, r.unexplained === 0 ? 'ok' : 'FAILED: DLQ records not made bad on purpose'),
    line('duplicates collapsed', r.duplicatesCollapsed, `parsed records ${String(d.parsedRecords)} for ${String(d.parsedDistinct)} events`),
    line('resends', d.resent, `packets given up ${String(d.givenUp)}; invalid HTTP bodies refused ${String(d.httpBadRejected)}`),
    line('asset changes', d.assetChanges, `reference records ${String(d.assetRecords)} (${String(d.assetVersions)} row versions)`),
    line('register gaps', d.assetGaps, d.assetGaps === 0 ? `ok: the last reference record of each of ${String(d.registerRows)} register rows matches it` : 'FAILED: devices whose last reference record is not the register row'),
    line('seconds', r.seconds),
    '',
    'faults',
    ...r.faults.map((f) => `  ${String(f.at).padStart(6)} s  ${f.kind.padEnd(16)} ${String(f.seconds).padStart(5)} s  ${f.error ? `FAILED: ${f.error}` : f.detail}`),
  ];
  const unplanned = d.unplannedRestarts as unknown[];
  if (unplanned.length > 0) out.push('', `unplanned restarts (a process exited unasked): ${JSON.stringify(unplanned)}`);
  return out.join('\n');
}
