import type { Summary } from './options.ts';

/** The live line: elapsed time, sent, acked (and rate), errors, resends. */
export function formatLive(c: { sent: number; acked: number; errors: number; resent: number; records: number }, elapsedMs: number): string {
  const s = Math.max(elapsedMs / 1000, 0.001);
  return `[simulator] ${s.toFixed(0)}s  sent ${c.sent}  acked ${c.acked} (${(c.acked / s).toFixed(0)}/s)  records ${c.records}  errors ${c.errors}  resent ${c.resent}`;
}

/** The end-of-run summary as text, one fact per line. */
export function formatSummary(s: Summary): string {
  const codes = Object.entries(s.errorsByCode).map(([k, v]) => `${k} ${v}`).join(', ');
  return [
    `simulator ${s.mode}: ${s.devices} devices, seed ${s.seed}, ${(s.durationMs / 1000).toFixed(1)} s`,
    `  sent      ${s.sent}`,
    `  acked     ${s.acked} (${s.ackRate}/s)`,
    `  records   ${s.records}`,
    `  errors    ${s.errors}${codes ? ` (${codes})` : ''}`,
    `  resent    ${s.resent}`,
    `  lost acks ${s.lostAcks}`,
    `  failed    ${s.failed}`,
    '',
  ].join('\n');
}
