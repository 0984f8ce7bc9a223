// @servers kafka cassandra
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChaosResult } from '../src/chaos/result.ts';

const bin = fileURLToPath(new URL('../bin/fleetstream.js', import.meta.url));
const events = Number(process.env.CHAOS_PLATFORMATIC_EVENTS ?? 3_000);

/**
 * The second Kafka client in a chaos run (issue #21): every service (gateway, sql-source, parse,
 * enrich and store) on @platformatic/kafka, including sql-source's Kafka transactions (records and
 * checkpoint in one) through a kill -9 and a SIGTERM of it.
 */
describe('fleetstream chaos with KAFKA_CLIENT=platformatic', () => {
  test('a short run through kill -9 of parse, store and sql-source, a SIGTERM of enrich and sql-source and a rebalance loses nothing, writes each acked event once and each register change once', () => {
    // Prepare
    const out = join(mkdtempSync(join(tmpdir(), 'chaos-platformatic-')), 'chaos.json');
    const faults = ['kill:parse', 'kill:store', 'term:enrich', 'scale:parse', 'kill:sql-source', 'term:sql-source'];

    // Act
    const run = spawnSync(process.execPath, [bin, 'chaos', '--events', String(events), '--seed', '11', '--faults', faults.join(','), '--json', out], {
      encoding: 'utf8',
      timeout: 360_000,
      env: { ...process.env, KAFKA_CLIENT: 'platformatic' },
    });

    // Assess
    expect(run.stderr).toContain('(services on platformatic)');
    expect(run.stderr).toContain('[chaos] chaos run over: exit 0');
    expect(run.status).toBe(0);
    const result = JSON.parse(readFileSync(out, 'utf8')) as ChaosResult & { detail: { repeatedRows: number; assetGaps: number; assetRecords: number; assetVersions: number; assetChanges: number } };
    expect(result.acked).toBeGreaterThanOrEqual(events);
    expect(result.lost).toBe(0);
    expect(result.unexplained).toBe(0);
    expect(result.rows).toBe(result.acked);
    expect(result.detail.repeatedRows).toBe(0);
    // sql-source: the reference topic ends as the register says, and no row version was written twice.
    expect(result.detail.assetChanges).toBeGreaterThan(0);
    expect(result.detail.assetGaps).toBe(0);
    expect(result.detail.assetRecords).toBe(result.detail.assetVersions);
    expect(result.faults.map((f) => f.kind).sort()).toEqual([...faults].sort());
    expect(result.faults.filter((f) => f.error !== undefined)).toEqual([]);
  }, 400_000);
});
