// @servers kafka (the default devstack, and a secure one it starts itself)
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import { baseConfigSchema, createKafkaClient, isFatal, loadConfig, StreamError, type InboundRecord, type KafkaClient } from '@fleetstream/stream';
import { dataDir as defaultDataDir } from '../src/paths.ts';
import { DevstackError, downSecure, passwordFileOf, secureEnv, secureStatus, upSecure, type SecureStackState } from '../src/index.ts';
import { freePort } from '../src/process.ts';

const suffix = () => randomUUID().slice(0, 8);
const stageFile = fileURLToPath(new URL('../../../libs/stream/test/fixtures/example-stage.ts', import.meta.url));

/** A kafkajs client of the secure broker, with the stack's CA and SCRAM login. */
function secureKafka(state: SecureStackState, password = state.credentials.password) {
  return new kafkajs.Kafka({
    clientId: 'devstack-secure-test',
    brokers: [state.kafka!.brokers],
    ssl: { ca: [readFileSync(state.caFile, 'utf8')] },
    sasl: { mechanism: 'scram-sha-512', username: state.credentials.username, password },
    logLevel: kafkajs.logLevel.NOTHING,
  });
}

/** Runs the example stage of libs/stream as its own process; collects everything it prints. */
function startStage(env: Record<string, string>) {
  const child = spawn(process.execPath, [stageFile], { env: { PATH: process.env.PATH, HEALTH_PORT: '0', LOG_LEVEL: 'debug', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

async function readValues(kafka: InstanceType<typeof kafkajs.Kafka>, topic: string, count: number, timeoutMs: number): Promise<Set<string>> {
  const consumer = kafka.consumer({ groupId: `reader-${suffix()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const values = new Set<string>();
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    void consumer.run({
      eachMessage: async ({ message }) => {
        values.add(message.value!.toString());
        if (values.size >= count) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return values;
}

describe('the secure devstack (Kafka with SASL_SSL and SCRAM-SHA-512) beside the default one', () => {
  let state: SecureStackState;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fleetstream-secure-'));
    const ports = { kafka: await freePort(), kafkaController: await freePort() };
    // keytool's certificates, a storage format and a JVM start of its own: about 30 s on a quiet
    // machine, 310 s measured with the shared 2-core machine's load above 40.
    ({ state } = await upSecure({ dataDir: dir, servers: ['kafka'], ports, kafkaTimeoutMs: 400_000 }));
  }, 600_000);

  afterAll(async () => {
    await downSecure(dir);
  }, 60_000);

  test('a second up on the same data folder reports the running stack and starts nothing', async () => {
    // Act
    const again = await upSecure({ dataDir: dir, servers: ['kafka'] });

    // Assess
    expect(again.started).toBe(false);
    expect(again.state.kafka!.pid).toBe(state.kafka!.pid);
    expect(secureStatus(dir).status).toBe('up');
    expect(statSync(join(dir, 'state.json')).mode & 0o077).toBe(0); // the passwords file is private
    expect(readFileSync(passwordFileOf(dir), 'utf8')).toBe(state.credentials.password);
    expect(statSync(passwordFileOf(dir)).mode & 0o077).toBe(0);
  });

  test("the default stack's data folder is refused with INVALID_OPTION", async () => {
    // Act
    const attempt = upSecure({ dataDir: defaultDataDir, servers: ['kafka'] });

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(DevstackError);
    await expect(attempt).rejects.toMatchObject({ code: 'DEVSTACK_INVALID_OPTION' });
  });

  test('a libs/stream service configured with KAFKA_SSL, the CA file and SCRAM moves 2,000 records and never prints the password', async () => {
    // Prepare
    const kafka = secureKafka(state);
    const input = `in-${suffix()}`;
    const output = `out-${suffix()}`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: input, numPartitions: 2 }, { topic: output, numPartitions: 2 }, { topic: 'telemetry.dlq', numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    await producer.send({ topic: input, acks: -1, messages: Array.from({ length: 2000 }, (_, i) => ({ key: `dev-${i % 16}`, value: String(i) })) });
    await producer.disconnect();

    // Act
    const stage = startStage({ ...secureEnv(state), INPUT_TOPIC: input, OUTPUT_TOPIC: output, CONSUMER_GROUP: `stage-${suffix()}` });
    const values = await readValues(kafka, output, 2000, 90_000);
    stage.child.kill('SIGTERM');
    const code = await stage.exited;

    // Assess
    expect(new Set([...values].map((v) => (JSON.parse(v) as { v: string }).v)).size).toBe(2000);
    expect(code).toBe(0);
    expect(stage.output()).toContain('started');
    expect(stage.output()).not.toContain(state.credentials.password);
  }, 150_000);

  test('a wrong password stops the service at start with a SASL authentication error (exit 1) that shows neither password', async () => {
    // Prepare
    const wrong = `wrong-${randomUUID()}`;

    // Act
    const stage = startStage({ ...secureEnv(state), KAFKA_SASL_PASSWORD: wrong, INPUT_TOPIC: `in-${suffix()}`, OUTPUT_TOPIC: `out-${suffix()}`, CONSUMER_GROUP: `stage-${suffix()}` });
    const code = await stage.exited;

    // Assess
    expect(code).toBe(1);
    expect(stage.output()).toMatch(/example-stage: failed to start: .*SASL SCRAM SHA512 authentication failed/);
    expect(stage.output()).not.toContain(wrong);
    expect(stage.output()).not.toContain(state.credentials.password);
  }, 90_000);

  test('a client without TLS and SCRAM gets no answer from the secure port', async () => {
    // Prepare
    const plain = new kafkajs.Kafka({ clientId: 'plain', brokers: [state.kafka!.brokers], logLevel: kafkajs.logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 2000, requestTimeout: 3000 });
    const admin = plain.admin();

    // Act
    const attempt = admin.connect().then(() => admin.listTopics());

    // Assess
    await expect(attempt).rejects.toThrow();
    await admin.disconnect().catch(() => undefined);
  }, 30_000);

  /** Our adapter as a service gets it: KAFKA_CLIENT and the secure stack's env, parsed by libs/stream's config. */
  const serviceClient = (client: string, env: Record<string, string> = {}): Promise<KafkaClient> =>
    createKafkaClient(loadConfig(baseConfigSchema, { ...secureEnv(state), KAFKA_CLIENT: client, ...env }), `secure-adapter-${suffix()}`);

  describe.each(['kafkajs', 'platformatic'])('the libs/stream adapter with KAFKA_CLIENT=%s over SASL_SSL and SCRAM-SHA-512', (client) => {
    test('creates a topic, produces 1,000 records (idempotent, acks=all) and a group consumes and commits every one', async () => {
      // Prepare
      const kafka = await serviceClient(client);
      expect(kafka.name).toBe(client);
      const topic = `secure-${client}-${suffix()}`;
      const groupId = `secure-${client}-${suffix()}`;
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics([{ topic, numPartitions: 2, replicationFactor: 1 }]);
      const producer = kafka.producer();
      await producer.connect();

      // Act
      await producer.send(Array.from({ length: 1000 }, (_, i) => ({ topic, key: `dev-${i % 16}`, value: String(i) })));
      await producer.disconnect();
      const consumer = kafka.consumer({ groupId, topics: [topic], fromBeginning: true });
      await consumer.connect();
      const seen = new Set<string>();
      let done!: () => void;
      const all = new Promise<void>((resolve) => (done = resolve));
      await consumer.run(async (batch) => {
        for (const r of batch.records as InboundRecord[]) seen.add(r.value!.toString());
        await consumer.commit([{ topic, partition: batch.partition, offset: (BigInt(batch.lastOffset) + 1n).toString() }]);
        if (seen.size >= 1000) done();
      });
      await all;
      await consumer.disconnect();
      const committed = await admin.fetchCommitted(groupId, topic);
      const high = await admin.fetchTopicOffsets(topic);
      await admin.disconnect();

      // Assess
      expect(seen.size).toBe(1000);
      expect(committed.sort((a, b) => a.partition - b.partition)).toEqual(high.map((h) => ({ partition: h.partition, offset: h.high })).sort((a, b) => a.partition - b.partition));
      expect(high.reduce((sum, h) => sum + Number(h.high), 0)).toBe(1000);
    }, 120_000);

    test.each(['producer', 'consumer', 'admin'] as const)('a wrong password fails the %s connect with a fatal STREAM_KAFKA_AUTH_FAILED that shows no password, not a hang', async (part) => {
      // Prepare
      const wrong = `wrong-${randomUUID()}`;
      const kafka = await serviceClient(client, { KAFKA_SASL_PASSWORD: wrong });
      const target = part === 'producer' ? kafka.producer() : part === 'consumer' ? kafka.consumer({ groupId: `g-${suffix()}`, topics: [`t-${suffix()}`] }) : kafka.admin();

      // Act
      const err = await target.connect().then(
        () => undefined,
        (e: unknown) => e,
      );
      await target.disconnect().catch(() => undefined);

      // Assess
      expect(err).toBeInstanceOf(StreamError);
      expect(err).toMatchObject({ code: 'STREAM_KAFKA_AUTH_FAILED', retryable: false });
      expect(isFatal(err)).toBe(true);
      expect((err as Error).message).toMatch(/SASL authentication failed/);
      expect((err as Error).message).not.toContain(wrong);
      expect((err as Error).message).not.toContain(state.credentials.password);
    }, 60_000);
  });
});
