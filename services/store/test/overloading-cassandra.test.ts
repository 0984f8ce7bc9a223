// @servers kafka
/**
 * The store's writer against a Cassandra that really overloads: a node of its own, started here
 * with the devstack's 'overload' profile (2 write threads, 200 ms write timeout, 10 ms commit-log
 * group window) on its own ports and folder, beside whatever Cassandra the run has. Kafka (the
 * run's) is only asked by the topology's plan for its topics.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type cassandra from 'cassandra-driver';
import { overloadNodePorts, startCassandraNode, type CassandraNode } from '@fleetstream/devstack';
import { AdaptiveConcurrency, isRetryable } from '@fleetstream/stream';
import { PositionWriter } from '../src/position-writer.ts';
import { decodeStoredEvent, type StoredEvent } from '../src/event.ts';
import { cassandraClient, enrichedEvent, migratedKeyspace } from './helpers/cluster.ts';

const DEVICES = 16;
const EVENTS_PER_DEVICE = 480;
const BASE = Date.UTC(2024, 5, 10, 8, 0, 0);
const deviceId = (d: number) => `35630704${String(2_450_000 + d).padStart(7, '0')}`;

/** Chunks as a catch-up hands them to the writer: 4 partitions, each a run of 1,920 events of its 4 devices. */
function partitionChunks(): StoredEvent[][] {
  const chunks: StoredEvent[][] = [[], [], [], []];
  for (let n = 0; n < EVENTS_PER_DEVICE; n++) {
    for (let d = 0; d < DEVICES; d++) {
      chunks[d % 4]!.push(decodeStoredEvent(Buffer.from(JSON.stringify(enrichedEvent(deviceId(d), BASE + n * 10_000, n)))));
    }
  }
  return chunks;
}

describe('the store writer against an overloading Cassandra (a node of the devstack\'s overload profile)', () => {
  let node: CassandraNode | undefined;
  let client: cassandra.Client | undefined;
  let keyspace = '';

  beforeAll(async () => {
    // FLEETSTREAM_OVERLOAD_CASSANDRA_PORT / _STORAGE_PORT / _JMX_PORT pin the ports (unset: free ones).
    node = await startCassandraNode({ dir: mkdtempSync(join(tmpdir(), 'fleetstream-overload-cql-')), profile: 'overload', ports: overloadNodePorts() });
    client = cassandraClient(undefined, [node.contactPoints]);
    await client.connect();
    // This node times out the migrations' own writes now and then: try again.
    for (let attempt = 1; !keyspace; attempt++) {
      try {
        keyspace = (await migratedKeyspace(client)).cassandra.keyspace;
      } catch (err) {
        if (attempt >= 5 || !isRetryable(err)) throw err;
      }
    }
  }, 300_000); // a cold Cassandra start on a busy 2-core machine takes 40-120 s, the migrations a few more

  afterAll(async () => {
    // The node and its data go together: no keyspace to drop.
    await client?.shutdown();
    await node?.stop();
  }, 60_000);

  test('absorbs the write timeouts: every row written, none failed, the limit cut below its ceiling', async () => {
    // Prepare: the store's limit range, opening at full blast (64 at once always overloads this node)
    const concurrency = new AdaptiveConcurrency({ min: 1, max: 64, initial: 64 });
    const limits: number[] = [];
    concurrency.onChange = (limit) => limits.push(limit);
    let overloads = 0;
    const sink = client!;
    const writer = new PositionWriter({ sink, keyspace, concurrency, onRetry: () => overloads++ });
    const chunks = partitionChunks();

    // Act: each partition writes its chunk in slices of 960 events (about 70 calls), the 4 partitions at once
    const results = await Promise.allSettled(
      chunks.map(async (events) => {
        for (let i = 0; i < events.length; i += 960) await writer.write(events.slice(i, i + 960));
      }),
    );

    // Assess
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    let rows = 0;
    for (let d = 0; d < DEVICES; d++) {
      const rs = await sink.execute(`SELECT COUNT(*) AS n FROM ${keyspace}.positions_by_device_day WHERE device_id = ? AND day = ?`, [deviceId(d), '2024-06-10'], { prepare: true });
      rows += Number(rs.first().get('n'));
    }
    expect(rows).toBe(DEVICES * EVENTS_PER_DEVICE);
    expect(overloads).toBeGreaterThan(0);
    expect(Math.min(...limits)).toBeLessThan(64);
    expect(concurrency.inFlight).toBe(0);
  }, 300_000);
});
