// @servers kafka postgresql
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { sqlSourceDefinition as sqlSource } from '@fleetstream/sql-source';
import { startService } from '@fleetstream/stream';
import {
  brokers,
  collectTopic,
  createTopics,
  deleteTopics,
  suffix,
  waitFor,
} from '@fleetstream/test-kit';
import { kubectlKustomize } from '../src/kubectl.ts';
import { paths } from '../src/paths.ts';
import { appEnv, find } from './helpers/rendered.ts';

const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * The local overlay's sql-source, configured exactly as the overlay renders it, against its own
 * seed (k8s/overlays/local/seed.sql) in the real PostgreSQL and Kafka. Only the connections
 * (brokers, database URL with its own schema) and the topic and source names are the test's.
 */
describe('sql-source with the settings of k8s/overlays/local on its seed table', () => {
  const id = suffix();
  const schema = `seed_${id}`;
  const output = `deploy.assets.${id}`;
  const checkpoint = `deploy.checkpoints.${id}`;
  const db = new pg.Client({ connectionString: PG_URL });
  const resources = kubectlKustomize(join(paths.k8s, 'overlays/local'));
  const overlayEnv = appEnv(resources, find(resources, 'Deployment', 'sql-source')!);
  const seed = readFileSync(join(paths.k8s, 'overlays/local/seed.sql'), 'utf8');

  beforeAll(async () => {
    await db.connect();
    await db.query(`CREATE SCHEMA ${schema}`);
    await db.query(`SET search_path TO ${schema}; ${seed}`);
    await createTopics([{ topic: output }, { topic: checkpoint, compact: true }]);
  });

  afterAll(async () => {
    await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await db.end();
    await deleteTopics([output, checkpoint]);
  });

  it('emits every seeded asset once, keyed by the simulator IMEI, the soft-deleted ones as tombstones, then an update', async () => {
    // Prepare
    const env: Record<string, string> = {
      ...(Object.fromEntries(
        Object.entries(overlayEnv).filter(([, v]) => v !== undefined),
      ) as Record<string, string>),
      KAFKA_BROKERS: brokers().join(','),
      SQL_URL: `${PG_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`,
      KAFKA_CLIENT_ID: `deploy-check-${id}`,
      HEALTH_PORT: '0',
      LOG_LEVEL: 'error',
      OUTPUT_TOPIC: output,
      CHECKPOINT_TOPIC: checkpoint,
      SOURCE_NAME: `deploy-check-${id}`,
      POLL_INTERVAL_MS: '100',
    };
    const out = await collectTopic(output);
    const src = await startService(sqlSource, { env, handleSignals: false });
    try {
      // Act
      await waitFor(() => out.records.length >= 200, '200 seeded assets', 60_000);
      await db.query(`UPDATE ${schema}.assets SET owner = 'moved' WHERE asset_id = 'asset-0001'`);
      await waitFor(() => out.records.length >= 201, 'the update', 60_000);

      // Assess
      const seeded = out.records.slice(0, 200);
      const keys = seeded.map((r) => r.key).sort();
      const tombstones = seeded
        .filter((r) => r.value === null)
        .map((r) => r.key)
        .sort();
      expect([
        overlayEnv.SQL_MODE,
        overlayEnv.SQL_ID_COLUMN,
        overlayEnv.SQL_DELETED_COLUMN,
      ]).toEqual(['xid', 'asset_id', 'is_deleted']);
      expect(new Set(keys).size).toBe(200);
      expect([keys[0], keys[199]]).toEqual(['356307040000000', '356307040000199']);
      expect(tombstones).toEqual([
        '356307040000049',
        '356307040000099',
        '356307040000149',
        '356307040000199',
      ]);
      expect(JSON.parse(out.records[200]!.value!.toString())).toMatchObject({
        asset_id: 'asset-0001',
        device_id: '356307040000000',
        owner: 'moved',
      });
      expect(out.records).toHaveLength(201);
    } finally {
      await src.shutdown();
      await out.stop();
    }
  });
});
