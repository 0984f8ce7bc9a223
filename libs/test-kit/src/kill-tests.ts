/**
 * The two kill -9 tests every service that offers EXACTLY_ONCE runs, written once: the service's
 * test file says how to fill its inputs and run it (`runWithKill`), these say what must come out.
 */
import { suffix } from './index.ts';
import type { KillRun, Tally } from './service-process.ts';

/** What one kill -9 run of a service wrote, counted against what it should have written once. */
export interface KillRunResult {
  run: KillRun;
  /** The output's records (by event id) against the events of every good input. */
  events: Tally;
  /** The DLQ's records (by original bytes) against the bad inputs. */
  dead: Tally;
  /** How many bad inputs there were (so the DLQ part of the test cannot pass empty). */
  badInputs: number;
}

/** Runs the service over freshly filled topics with `env` (and `restartEnv` for the second process): see killMidStream. */
export type RunWithKill = (
  env: Record<string, string>,
  restartEnv?: Record<string, string>,
) => Promise<KillRunResult>;

const none: Tally = { duplicated: 0, missing: 0, unexpected: 0 };

/**
 * Declares, inside the caller's `describe`: with EXACTLY_ONCE=true a kill -9 mid-stream leaves every
 * input's records exactly once in the output and the DLQ (read_committed); with EXACTLY_ONCE=false
 * and nothing committed before the kill the same run repeats records, so the first test can fail.
 */
export function exactlyOnceKillTests(
  service: string,
  inputs: string,
  runWithKill: RunWithKill,
): void {
  test(`${inputs} ${service} killed -9 mid-stream and restarted with EXACTLY_ONCE=true: read_committed, every input's events are in the output once and every bad input in the DLQ once`, async () => {
    // Act
    const { run, events, dead, badInputs } = await runWithKill({
      EXACTLY_ONCE: 'true',
      TRANSACTIONAL_ID: `${service}-tx-${suffix()}`,
    });

    // Assess
    expect({ events, dead }).toEqual({ events: none, dead: none });
    // ... after a kill that came once some output was committed and before the end; the restart drained and stopped cleanly
    expect(badInputs).toBeGreaterThan(0);
    expect(run.committedAtKill).toBeGreaterThan(0n);
    expect(run.committedAtKill).toBeLessThan(run.inputEnd);
    expect(run.restartExit).toBe(0);
  }, 300_000);

  test(`the same kill with EXACTLY_ONCE=false and no offset committed before it (COMMIT_INTERVAL_MS=60000): nothing is missing, and what came before the kill is repeated`, async () => {
    // Act
    const { run, events, dead } = await runWithKill(
      { COMMIT_INTERVAL_MS: '60000' },
      { COMMIT_INTERVAL_MS: '1000' },
    );

    // Assess: nothing was committed when killed, so the restart repeats what the first process wrote
    // (the repeats the exactly-once test rules out), and the at-least-once promise holds
    expect(run.committedAtKill).toBe(0n);
    expect({
      missing: events.missing,
      unexpected: events.unexpected,
      deadMissing: dead.missing,
    }).toEqual({ missing: 0, unexpected: 0, deadMissing: 0 });
    expect(events.duplicated).toBeGreaterThan(0);
  }, 300_000);
}
