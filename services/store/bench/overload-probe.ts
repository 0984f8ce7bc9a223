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
