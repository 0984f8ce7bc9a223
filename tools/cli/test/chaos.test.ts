// @servers kafka cassandra
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChaosResult } from '../src/chaos/result.ts';

const bin = fileURLToPath(new URL('../bin/fleetstream.js', import.meta.url));
const events = Number(process.env.CHAOS_TEST_EVENTS ?? 20_000);

/** The --json output: the reconciliation, with the detail fields these tests read. */
type ChaosJson = Omit<ChaosResult, 'detail'> & {
  detail: { dlqBadOnPurpose: number; badRawProduced: number; httpBadAccepted: number; rowsBySchemaVersion: Record<string, number>; registerRows: number; assetGaps: number; assetChanges: number; repeatedRows: number };
};

describe('fleetstream chaos', () => {
  test('rejects a missing --events and an unknown fault with exit code 2', () => {
    // Act
    const noEvents = spawnSync(process.execPath, [bin, 'chaos'], { encoding: 'utf8' });
    const badFault = spawnSync(process.execPath, [bin, 'chaos', '--events', '10', '--faults', 'kill:parse,meteor'], { encoding: 'utf8' });

    // Assess
    expect(noEvents.status).toBe(2);
    expect(noEvents.stderr).toContain('--events is required');
    expect(badFault.status).toBe(2);
    expect(badFault.stderr).toContain('unknown fault meteor');
  });

  test('a CI-size run through kill -9, a deploy, a rebalance, a Kafka and a Cassandra restart and a schema change loses nothing and explains every DLQ record', () => {
    // Prepare
    const out = join(mkdtempSync(join(tmpdir(), 'chaos-')), 'chaos.json');
    const faults = ['kill:parse', 'kill:store', 'term:enrich', 'scale:parse', 'kafka', 'cassandra', 'schema'];

    // Act
    const run = spawnSync(process.execPath, [bin, 'chaos', '--events', String(events), '--seed', '7', '--faults', faults.join(','), '--json', out], { encoding: 'utf8', timeout: 420_000 });

    // Assess
    expect(run.stderr).toContain('[chaos] chaos run over: exit 0');
    expect(run.status).toBe(0);
    const result = JSON.parse(readFileSync(out, 'utf8')) as ChaosJson;
    expect(result.acked).toBeGreaterThanOrEqual(events);
    expect(result.lost).toBe(0);
    expect(result.unexplained).toBe(0);
    expect(result.rows).toBe(result.acked);
    expect(result.dlq).toBe(result.detail.badRawProduced);
    expect(result.detail.dlqBadOnPurpose).toBe(result.detail.badRawProduced);
    expect(result.detail.httpBadAccepted).toBe(0);
    expect(result.faults.map((f) => f.kind).sort()).toEqual([...faults].sort());
    expect(result.faults.filter((f) => f.error !== undefined)).toEqual([]);
    // At-least-once repeats happened (kill -9 of parse sends again what it had not committed; the
    // gateway's resends) and collapsed: the parsed topic holds more records than events, while the
    // table holds one row per acked event and no second row of any.
    expect(result.duplicatesCollapsed).toBeGreaterThan(0);
    expect(result.detail.repeatedRows).toBe(0);
    // The SQL source brought every change of the register: the last reference record of each row is that row.
    expect(result.detail.assetChanges).toBeGreaterThan(0);
    expect(result.detail.registerRows).toBeGreaterThan(0);
    expect(result.detail.assetGaps).toBe(0);
    // Events enriched before the schema change were written from v1, those after it from v2; together every row.
    const byVersion = result.detail.rowsBySchemaVersion;
    expect(Object.keys(byVersion).sort()).toEqual(['1', '2']);
    expect(byVersion['1']! + byVersion['2']!).toBe(result.rows);
  }, 450_000);
});
