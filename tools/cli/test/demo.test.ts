// @servers kafka cassandra postgresql (the whole pipeline)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import cassandra from 'cassandra-driver';
import { readPositions } from '@fleetstream/store/lib';

const bin = fileURLToPath(new URL('../bin/fleetstream.js', import.meta.url));

describe('fleetstream demo', () => {
  test('a short demo runs the whole pipeline (gateway -> parse -> enrich -> store) and rows appear in Cassandra', async () => {
    // Prepare
    const out = join(mkdtempSync(join(tmpdir(), 'demo-')), 'summary.json');

    // Act
    const run = spawnSync(process.execPath, [bin, 'demo', '--duration', '12', '--devices', '10', '--rate', '10', '--json', out], { encoding: 'utf8', timeout: 240_000 });

    // Assess
    expect(run.stderr).toContain('[demo] demo stopped');
    expect(run.status).toBe(0);
    const summary = JSON.parse(readFileSync(out, 'utf8')) as { rowsInCassandra: number; rows: { service: string; dlq: number }[]; sampleTrace?: { traceId: string; hops: { service: string }[] } };
    expect(summary.rowsInCassandra).toBeGreaterThan(0);
    expect(summary.rows.map((r) => r.service)).toEqual(['gateway', 'parse', 'enrich', 'store', 'sql-source']);
    expect(summary.rows.every((r) => r.dlq === 0)).toBe(true);
    // The services exported their spans to the demo's collector: one sample trace from the gateway to the store, printed at the end.
    expect(summary.sampleTrace?.hops[0]?.service).toBe('gateway');
    expect(summary.sampleTrace?.hops.map((h) => h.service)).toEqual(expect.arrayContaining(['gateway', 'parse', 'enrich', 'store']));
    expect(run.stdout).toContain(`sample trace ${summary.sampleTrace!.traceId}`);
    const client = new cassandra.Client({ contactPoints: (process.env.CASSANDRA_CONTACT_POINTS ?? '127.0.0.1:19042').split(','), localDataCenter: 'datacenter1' });
    await client.connect();
    const rows = await readPositions(client, 'fleetstream', { deviceId: '356307040000000', limit: 5 });
    await client.shutdown();
    expect(rows.length).toBeGreaterThan(0);
    expect(rows[0]!.deviceId).toBe('356307040000000');
  }, 300_000);
});
