// @servers kafka
import { createServer } from 'node:net';
import { committedOffsets, createTopics, produceRange, rawKafka, readAll, startStage, suffix } from './helpers/kafka.ts';

const get = async (port: number, path: string) => {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text() };
};

async function waitFor<T>(fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A port nothing listens on now (the stage's health server takes it before the consumer joins). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

/**
 * A member of `groupId` that takes the topic's partitions and holds its first batch until
 * `release()`: the group cannot finish a rebalance meanwhile, so a member joining after it gets no
 * partitions until then. Commits nothing.
 */
async function rebalanceBlocker(groupId: string, topic: string) {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let holding!: () => void;
  const held = new Promise<void>((r) => (holding = r));
  const consumer = rawKafka('blocker').consumer({ groupId, sessionTimeout: 30_000, rebalanceTimeout: 60_000 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async () => {
      holding();
      await released;
    },
  });
  await held;
  return {
    groupState: async () => {
      const admin = rawKafka('blocker-admin').admin();
      await admin.connect();
      const { groups } = await admin.describeGroups([groupId]);
      await admin.disconnect();
      return groups[0]?.state;
    },
    release: async () => {
      release();
      await consumer.disconnect();
    },
  };
}

const metricValue = (metrics: string, name: string) =>
  metrics
    .split('\n')
    .filter((l) => l.startsWith(name))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);

describe('the example stage (topic A -> transform -> topic B) built from libs/stream', () => {
  test('100,000 records with out-of-order completion and a kill -9 mid-stream: every input is in the output, repeats only after the last commit', async () => {
    // Prepare
    const input = `in-${suffix()}`;
    const output = `out-${suffix()}`;
    const group = `stage-${suffix()}`;
    await createTopics([
      { topic: input, partitions: 4 },
      { topic: output, partitions: 4 },
    ]);
    const total = 100_000;
    await produceRange(input, total);
    const env = { INPUT_TOPIC: input, OUTPUT_TOPIC: output, CONSUMER_GROUP: group, DELAY_MAX_MS: '3', COMMIT_INTERVAL_MS: '200', MAX_RECORDS_PER_BATCH: '500' };

    // Act: run, kill -9 once part of the input is out, read the committed offsets, restart to the end
    const first = startStage(env);
    await first.healthPort;
    await readAll(output, (v) => v.length >= 30_000, 120_000);
    first.child.kill('SIGKILL');
    await first.exited;
    const atCrash = await committedOffsets(group, input);
    const second = startStage(env);
    const out = await readAll(output, (v) => new Set(v.map((x) => x.value)).size >= total, 180_000);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);

    // Assess
    const seen = new Map<string, number>();
    for (const { value } of out) seen.set(value, (seen.get(value) ?? 0) + 1);
    const inputs = new Set([...seen.keys()].map((v) => (JSON.parse(v) as { v: string }).v));
    expect(inputs.size).toBe(total);
    for (const [value, count] of seen) {
      if (count === 1) continue;
      const { p, o } = JSON.parse(value) as { p: number; o: string };
      expect(BigInt(o)).toBeGreaterThanOrEqual(atCrash.get(p) ?? 0n);
    }
    const end = await committedOffsets(group, input);
    expect([...end.values()].reduce((a, b) => a + b, 0n)).toBe(BigInt(total));
  }, 300_000);

  test('in transactional mode a kill -9 mid-stream leaves every input exactly once in the read_committed output', async () => {
    // Prepare
    const input = `in-${suffix()}`;
    const output = `out-${suffix()}`;
    const group = `stage-${suffix()}`;
    await createTopics([
      { topic: input, partitions: 4 },
      { topic: output, partitions: 4 },
    ]);
    const total = 30_000;
    await produceRange(input, total);
    const env = { INPUT_TOPIC: input, OUTPUT_TOPIC: output, CONSUMER_GROUP: group, DELAY_MAX_MS: '2', MAX_RECORDS_PER_BATCH: '500', TRANSACTIONAL_ID: `tx-${suffix()}` };

    // Act: kill -9 once part of the output is committed, restart with the same transactional id
    const first = startStage(env);
    await first.healthPort;
    await readAll(output, (v) => v.length >= 8_000, 120_000);
    first.child.kill('SIGKILL');
    await first.exited;
    const second = startStage(env);
    await second.healthPort;
    for (let sum = 0n; sum < BigInt(total); ) {
      await new Promise((r) => setTimeout(r, 500));
      sum = [...(await committedOffsets(group, input)).values()].reduce((a, b) => a + (b > 0n ? b : 0n), 0n);
    }
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    const out = await readAll(output, () => false, 8_000);

    // Assess: read_committed sees each input once; the aborted transaction of the killed process is invisible
    const inputs = out.map((o) => (JSON.parse(o.value) as { v: string }).v);
    expect(new Set(inputs).size).toBe(total);
    expect(inputs).toHaveLength(total);
  }, 300_000);

  test('/readyz is 503 before partitions are assigned and 200 after; /metrics counts; SIGTERM under load drains, commits and exits 0', async () => {
    // Prepare: a bad record among good ones, and a slow stage so SIGTERM lands mid-work
    const input = `in-${suffix()}`;
    const output = `out-${suffix()}`;
    const group = `stage-${suffix()}`;
    await createTopics([
      { topic: input, partitions: 2 },
      { topic: output, partitions: 2 },
    ]);
    await createTopics([{ topic: 'telemetry.dlq', partitions: 4 }]).catch(() => undefined); // topology creates it in a deployment
    await produceRange(input, 20_000, (i) => (i === 7 ? 'bad' : String(i)));
    // Another member holds the group's partitions in a batch, so the stage's join cannot complete
    const blocker = await rebalanceBlocker(group, input);
    const port = await freePort();
    const stage = startStage({ INPUT_TOPIC: input, OUTPUT_TOPIC: output, CONSUMER_GROUP: group, DELAY_MAX_MS: '20', MAX_RECORDS_PER_BATCH: '200', SHUTDOWN_TIMEOUT_MS: '10000', HEALTH_PORT: String(port) });

    // Act + Assess: /readyz answers 503 while the stage waits in the group's rebalance, 200 once it has partitions
    const early = await waitFor(() => get(port, '/readyz'), 30_000);
    await waitFor(async () => ((await blocker.groupState()) === 'PreparingRebalance' ? true : undefined), 30_000);
    const whileJoining = await get(port, '/readyz');
    expect((await get(port, '/healthz')).status).toBe(200);
    await blocker.release();
    await waitFor(async () => ((await get(port, '/readyz')).status === 200 ? true : undefined), 30_000);
    expect([early.status, whileJoining.status]).toEqual([503, 503]);
    const m1 = await waitFor(async () => {
      const { body } = await get(port, '/metrics');
      return metricValue(body, 'fleetstream_records_out_total') > 0 ? body : undefined;
    }, 30_000);
    const dlqBad = 'fleetstream_dlq_total{service="example-stage",reason="bad-value"}';
    // The bad record's partition may come to the stage only after the blocker has left the group.
    const m2 = await waitFor(async () => {
      const { body } = await get(port, '/metrics');
      return metricValue(body, dlqBad) > 0 && metricValue(body, 'fleetstream_records_in_total') > metricValue(m1, 'fleetstream_records_in_total') ? body : undefined;
    }, 30_000);
    expect(metricValue(m2, dlqBad)).toBe(1);
    expect(m2).toContain('process_resident_memory_bytes');

    const t0 = Date.now();
    stage.child.kill('SIGTERM');
    const code = await stage.exited;
    const stoppedIn = Date.now() - t0;
    expect(code).toBe(0);
    expect(stoppedIn).toBeLessThan(12_000);
    const offsets = await committedOffsets(group, input);
    const committedCount = [...offsets.values()].reduce((a, b) => a + (b > 0n ? b : 0n), 0n);
    const out = await readAll(output, (v) => v.length >= Number(committedCount) - 1, 30_000);
    // Everything committed was produced (the one bad record went to the DLQ instead).
    expect(BigInt(new Set(out.map((o) => o.value)).size)).toBeGreaterThanOrEqual(committedCount - 1n);
    expect(committedCount).toBeGreaterThan(0n);
  }, 120_000);

  test.each([
    ['KAFKA_BROKERS', { KAFKA_BROKERS: '' }],
    ['KAFKA_BROKERS', { KAFKA_BROKERS: 'not a broker' }],
    ['INPUT_TOPIC', { INPUT_TOPIC: '' }],
    ['HEALTH_PORT', { HEALTH_PORT: '70000' }],
    ['MAX_RECORDS_PER_BATCH', { MAX_RECORDS_PER_BATCH: 'many' }],
    ['SHUTDOWN_TIMEOUT_MS', { SHUTDOWN_TIMEOUT_MS: '-5' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
  ])('a missing or malformed %s gives one line naming it and exit code 2', async (variable, bad) => {
    const stage = startStage({ INPUT_TOPIC: 'x', OUTPUT_TOPIC: 'y', ...bad });
    const code = await stage.exited;
    const lines = stage.stderr().trim().split('\n');
    expect(code).toBe(2);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^example-stage: invalid configuration: ${variable}: `));
  });
});
