import type { StreamAdmin } from '@fleetstream/stream';

/** Lag of a consumer group on a topic: end offsets minus committed offsets (uncommitted: from the start). */
export async function groupLag(admin: StreamAdmin, groupId: string, topic: string): Promise<number> {
  const [ends, committed] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchCommitted(groupId, topic)]);
  const at = new Map(committed.map((c) => [c.partition, BigInt(c.offset)]));
  let lag = 0n;
  for (const e of ends) {
    const c = at.get(e.partition) ?? -1n;
    const from = c < 0n ? BigInt(e.low) : c;
    if (BigInt(e.high) > from) lag += BigInt(e.high) - from;
  }
  return Number(lag);
}

export interface Stage {
  name: string;
  groupId: string;
  topic: string;
}

/**
 * Waits until every stage's group has committed up to the end of its input topic, twice in a row
 * `settleMs` apart (nothing new arrived meanwhile). Resolves the lags of the last check, or throws
 * after `timeoutMs` with the lags it saw.
 */
export async function waitDrained(admin: StreamAdmin, stages: Stage[], o: { timeoutMs: number; settleMs?: number; onLag?: (lags: Record<string, number>) => void }): Promise<Record<string, number>> {
  const deadline = Date.now() + o.timeoutMs;
  let zeroInARow = 0;
  let lags: Record<string, number> = {};
  for (;;) {
    try {
      lags = {};
      for (const s of stages) lags[s.name] = await groupLag(admin, s.groupId, s.topic);
      o.onLag?.(lags);
      zeroInARow = Object.values(lags).every((l) => l === 0) ? zeroInARow + 1 : 0;
      if (zeroInARow >= 2) return lags;
    } catch {
      zeroInARow = 0; // the broker may be restarting: ask again
    }
    if (Date.now() > deadline) throw new Error(`the pipeline did not drain within ${o.timeoutMs / 1000} s; lag ${JSON.stringify(lags)}`);
    await new Promise((r) => setTimeout(r, o.settleMs ?? 2_000));
  }
}
