// @servers kafka cassandra postgresql
import { randomUUID } from 'node:crypto';
import kafkajs from 'kafkajs';
import cassandra from 'cassandra-driver';
import pg from 'pg';
import { endpoints, pgUrl } from '../src/index.ts';

const suffix = () => randomUUID().slice(0, 8);

describe('the devstack serves real servers', () => {
  test('10,000 records produced to a new topic are consumed back by a group, offsets committed and read back', async () => {
    // Prepare
    const kafka = new kafkajs.Kafka({ clientId: 'devstack-test', brokers: endpoints().kafkaBrokers, logLevel: kafkajs.logLevel.NOTHING });
    const topic = `devstack-${suffix()}`;
    const groupId = `g-${suffix()}`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    const total = 10_000;
    for (let start = 0; start < total; start += 1000) {
      await producer.send({
        topic,
        acks: -1,
        messages: Array.from({ length: 1000 }, (_, i) => ({ key: `device-${(start + i) % 50}`, value: String(start + i) })),
      });
    }
    await producer.disconnect();

    // Act
    const consumer = kafka.consumer({ groupId });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen = new Set<string>();
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ message }) => {
            seen.add(message.value!.toString());
            if (seen.size === total) resolve();
          },
        })
        .catch(reject);
    });
    await consumer.disconnect(); // commits the resolved offsets

    // Assess
    expect(seen.size).toBe(total);
    const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
    const sum = committed[0]!.partitions.reduce((acc, p) => acc + Number(p.offset), 0);
    expect(sum).toBe(total);
    await admin.deleteTopics({ topics: [topic] });
    await admin.disconnect();
  });

  test('rows written with cassandra-driver in a fresh keyspace are read back', async () => {
    const client = new cassandra.Client({ contactPoints: endpoints().cassandraContactPoints, localDataCenter: 'datacenter1' });
    await client.connect();
    const ks = `devstack_${suffix()}`;
    await client.execute(`CREATE KEYSPACE ${ks} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`);
    await client.execute(`CREATE TABLE ${ks}.t (id int PRIMARY KEY, v text)`);
    await Promise.all(Array.from({ length: 100 }, (_, i) => client.execute(`INSERT INTO ${ks}.t (id, v) VALUES (?, ?)`, [i, `v${i}`], { prepare: true })));
    const rs = await client.execute(`SELECT count(*) AS n FROM ${ks}.t`);
    const one = await client.execute(`SELECT v FROM ${ks}.t WHERE id = ?`, [42], { prepare: true });
    await client.execute(`DROP KEYSPACE ${ks}`);
    await client.shutdown();
    expect(Number(rs.first().get('n'))).toBe(100);
    expect(one.first().get('v')).toBe('v42');
  });

  test('PostgreSQL answers a query at PG_URL', async () => {
    const client = new pg.Client({ connectionString: pgUrl() });
    await client.connect();
    const { rows } = await client.query<{ answer: number }>('SELECT 40 + 2 AS answer');
    await client.end();
    expect(rows).toEqual([{ answer: 42 }]);
  });
});

describe('devstack restart (for resilience and chaos tests)', () => {
  test('Kafka killed with -9 and restarted keeps its topics and records', async () => {
    // Prepare
    const { restart } = await import('../src/index.ts');
    const kafka = new kafkajs.Kafka({ clientId: 'restart-test', brokers: endpoints().kafkaBrokers, logLevel: kafkajs.logLevel.NOTHING });
    const topic = `restart-${suffix()}`;
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: Array.from({ length: 100 }, (_, i) => ({ value: String(i) })) });
    await producer.disconnect();

    // Act
    await restart('kafka', { signal: 'SIGKILL', downMs: 1000 });

    // Assess
    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(topic);
    await admin.disconnect();
    expect(offsets.reduce((a, p) => a + Number(p.high), 0)).toBe(100);
  }, 180_000);
});
