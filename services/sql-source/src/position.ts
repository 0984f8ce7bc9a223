import { SqlSourceError } from './errors.ts';

/** How the source orders rows and protects against late commits (README, "Modes"). */
export type SqlMode = 'timestamp' | 'xid' | 'rowversion';

/**
 * The position of the source: the last emitted row's (order, id). `order` is the ordering column as
 * the database prints it — the timestamp text at full precision (timestamp mode), the xid8 as
 * decimal text (xid) or the rowversion as 0x-hex (rowversion) — never a JS Date. `ts` is the row's
 * timestamp text, kept for the lag metric.
 */
export interface Position {
  mode: SqlMode;
  order: string;
  id: string;
  ts: string | null;
}

/** Parses a checkpoint value; throws INVALID_CHECKPOINT on anything else. */
export function parsePosition(text: string): Position {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (cause) {
    throw new SqlSourceError('SQL_SOURCE_INVALID_CHECKPOINT', 'checkpoint value is not JSON', { cause });
  }
  const p = v as Partial<Position>;
  if (
    typeof p !== 'object' || p === null ||
    (p.mode !== 'timestamp' && p.mode !== 'xid' && p.mode !== 'rowversion') ||
    typeof p.order !== 'string' || typeof p.id !== 'string' ||
    (p.ts !== null && typeof p.ts !== 'string')
  ) {
    throw new SqlSourceError('SQL_SOURCE_INVALID_CHECKPOINT', 'checkpoint value is not a position');
  }
  return { mode: p.mode, order: p.order, id: p.id, ts: p.ts ?? null };
}

/** Seconds between `nowMs` and a UTC timestamp text of the database (0 when unknown). */
export function lagSeconds(ts: string | null, nowMs: number): number {
  if (ts === null) return 0;
  const ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(ts) ? ts : `${ts}Z`);
  return Number.isFinite(ms) ? Math.max(0, (nowMs - ms) / 1000) : 0;
}
