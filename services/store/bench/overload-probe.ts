/**
 * Drives Cassandra with a bare cassandra-driver loop at fixed concurrencies (single-partition
 * batches of position rows, no retries of the driver's own) for a few seconds each and counts what
 * the driver answers: writes/s and the errors by class (WriteTimeout, Overloaded, ...). Run by the
 * overload catch-up bench to show the 'overload' devstack profile really pushes back.
 */
import type cassandra from 'cassandra-driver';
import { errorClass } from '@fleetstream/stream';

export interface ProbeRun {
  concurrency: number;
  seconds: number;
  okPerSec: number;
  /** Errors the driver returned, by class (a Cassandra code name or the driver error's name). */
  errors: Record<string, number>;
}

const CODE_NAMES: Record<number, string> = { 0x1000: 'Unavailable', 0x1001: 'Overloaded', 0x1100: 'WriteTimeout', 0x1500: 'WriteFailure', 0x0000: 'ServerError' };

function errorName(err: unknown): string {
  const e = err as { name?: string; code?: unknown };
  if (e?.name === 'ResponseError' && typeof e.code === 'number') return CODE_NAMES[e.code] ?? `code 0x${e.code.toString(16)}`;
  return errorClass(err);
}

/** `concurrency` workers writing `rowsPerCall`-row batches into `keyspace` for `seconds`. */
export async function probeOverload(client: cassandra.Client, keyspace: string, concurrency: number, seconds: number, rowsPerCall = 16): Promise<ProbeRun> {
  const insert = `INSERT INTO ${keyspace}.device_days (device_id, day) VALUES (?, ?)`;
  let ok = 0;
  const errors: Record<string, number> = {};
  const t0 = performance.now();
  const until = t0 + seconds * 1000;
  let n = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      while (performance.now() < until) {
        const device = `probe-${w}-${n++ % 50}`;
        const queries = Array.from({ length: rowsPerCall }, (_, i) => ({ query: insert, params: [device, `2024-06-${String((i % 28) + 1).padStart(2, '0')}`] }));
        try {
          await client.batch(queries, { prepare: true, isIdempotent: true, logged: false });
          ok++;
        } catch (err) {
          const name = errorName(err);
          errors[name] = (errors[name] ?? 0) + 1;
        }
      }
    }),
  );
  const s = (performance.now() - t0) / 1000;
  return { concurrency, seconds: Number(s.toFixed(1)), okPerSec: Math.round(ok / s), errors };
}

/**
 * Waits (at most `timeoutMs`) until Cassandra takes `inARow` single writes in a row, each within
 * `fastMs`: after a run that overloaded it, the node needs a while to drain its queues and
 * collect, and the next run must not pay for the previous one. Returns the seconds waited.
 */
export async function waitSettled(client: cassandra.Client, keyspace: string, o: { fastMs?: number; inARow?: number; timeoutMs?: number } = {}): Promise<number> {
  const { fastMs = 100, inARow = 5, timeoutMs = 60_000 } = o;
  const insert = `INSERT INTO ${keyspace}.device_days (device_id, day) VALUES (?, ?)`;
  const t0 = performance.now();
  for (let good = 0; good < inARow && performance.now() - t0 < timeoutMs; ) {
    const t = performance.now();
    const ok = await client.execute(insert, ['settle', '2024-06-01'], { prepare: true, isIdempotent: true }).then(() => true, () => false);
    good = ok && performance.now() - t < fastMs ? good + 1 : 0;
    if (good === 0) await new Promise((r) => setTimeout(r, 200));
  }
  return Number(((performance.now() - t0) / 1000).toFixed(1));
}
