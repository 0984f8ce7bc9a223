// @servers kafka postgresql
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { collect, createTopics, deleteTopics, readToEnd, suffix, waitFor } from './helpers/kafka.ts';
import { createAssetTable, dropAssetTable, insertRows, pgClient } from './helpers/postgres.ts';
import { countByKey, sourceEnv } from './helpers/service.ts';

const INDEX = fileURLToPath(new URL('../src/index.ts', import.meta.url));
const ROWS = 6_000;

function spawnSource(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [INDEX], { env: { ...process.env, ...env, NODE_OPTIONS: '' }, stdio: ['ignore', 'ignore', 'inherit'] });
}

describe('sql-source crash recovery', () => {
  let db: pg.Client;
  const id = suffix();
  const table = `sqlsrc_kill_${id}`;
  const output = `sqlsrc.assets.kill.${id}`;
  const checkpoint = `sqlsrc.checkpoints.kill.${id}`;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    db = await pgClient();
    await createTopics([{ topic: output }, { topic: checkpoint, compact: true }]);
  });

  afterAll(async () => {
    child?.kill('SIGKILL');
    await dropAssetTable(db, table);
    await db.end();
    await deleteTopics([output, checkpoint]);
  });

  test('after kill -9 mid-stream and a restart the output equals the table once; an update and a soft delete follow', async () => {
    // Prepare: throttled to 2,000 rows/s in batches of 200 so the kill lands mid-stream
    await createAssetTable(db, table);
    await insertRows(db, table, ROWS);
    const env = sourceEnv({ table, output, checkpoint, name: `kill-${id}`, extra: { BATCH_ROWS: '200', MAX_ROWS_PER_SEC: '2000' } });
    const out = await collect(output);
    try {
      child = spawnSource(env);
      await waitFor(() => out.records.length >= 1_000, '1000 records before the kill', 90_000);
      // Act
      child.kill('SIGKILL');
      await new Promise((r) => child!.once('exit', r));
      const atKill = out.records.length;
      child = spawnSource(env);
      await waitFor(() => out.records.length >= ROWS, `${ROWS} records after the restart`, 120_000);
      await db.query(`UPDATE ${table} SET name = 'renamed' WHERE device_id = 'dev-5'`);
      await db.query(`UPDATE ${table} SET deleted = true WHERE device_id = 'dev-6'`);
      await waitFor(() => out.records.length >= ROWS + 2, 'the update and the tombstone', 30_000);
      // The source stops (its last transaction ends): the topic read to its end is all it wrote
      const stopped = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await stopped;
      const all = await readToEnd(output);
      // Assess
      expect(atKill).toBeLessThan(ROWS);
      expect(all).toHaveLength(ROWS + 2);
      const counts = countByKey(all.slice(0, ROWS));
      expect(counts.size).toBe(ROWS);
      expect([...counts.values()].every((c) => c === 1)).toBe(true);
      const tail = all.slice(ROWS);
      expect(tail.map((r) => r.key)).toEqual(['dev-5', 'dev-6']);
      expect(JSON.parse(tail[0]!.value!)).toMatchObject({ device_id: 'dev-5', name: 'renamed', deleted: false });
      expect(tail[1]!.value).toBeNull();
    } finally {
      child?.kill('SIGKILL');
      await out.stop();
    }
  });
});
