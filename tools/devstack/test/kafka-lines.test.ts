// @servers kafka (it starts a Kafka of its own: the line the devstack does not run by default)
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import kafkajs from 'kafkajs';
import { kafkaLog, startKafka, waitKafkaReady, type KafkaPlan } from '../src/kafka.ts';
import { resolveJars } from '../src/maven.ts';
import { kafkaMajor, kafkaVersion } from '../src/versions.ts';
import { freePort, stopProcess } from '../src/process.ts';

/**
 * The devstack runs one Kafka line by default (the rest of the suite proves it); this proves the
 * other line still starts from its Maven Central jars with its own logging backend and serves the
 * client the services use: 3.9 for users on older clusters when the default is 4.x, and the reverse.
 */
const other = kafkaMajor(kafkaVersion()) === 4 ? '3.9.1' : '4.4.0';

describe(`Kafka ${other}, the line the devstack does not run by default`, () => {
  const dir = mkdtempSync(join(tmpdir(), `fleetstream-kafka-${other}-`));
  let pid = 0;
  afterAll(async () => {
    if (pid) await stopProcess(pid, 10_000);
    rmSync(dir, { recursive: true, force: true });
  });

  test('starts from its jars, logs to server.log through its own backend, and moves 1,000 records through an idempotent producer and a group', async () => {
    // Prepare
    const plan: KafkaPlan = { version: other, lib: resolveJars('kafka', other), dir, port: await freePort(), controllerPort: await freePort() };
    pid = startKafka(plan, false);
    await waitKafkaReady(pid, plan, 240_000); // a JVM of its own: minutes on a busy 2-core machine
    const kafka = new kafkajs.Kafka({ clientId: 'kafka-lines-test', brokers: [`127.0.0.1:${plan.port}`], logLevel: kafkajs.logLevel.NOTHING });
    const topic = `lines-${randomUUID().slice(0, 8)}`;
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();

    // Act
    await producer.send({ topic, acks: -1, messages: Array.from({ length: 1_000 }, (_, i) => ({ key: `d${i % 10}`, value: String(i) })) });
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId: `g-${randomUUID().slice(0, 8)}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen = new Set<string>();
    await new Promise<void>((resolve, reject) => {
      consumer.run({ eachMessage: async ({ message }) => void (seen.add(message.value!.toString()), seen.size === 1_000 && resolve()) }).catch(reject);
    });
    await consumer.disconnect();

    // Assess
    expect(seen.size).toBe(1_000);
    expect(readFileSync(kafkaLog(dir), 'utf8')).toMatch(/Kafka Server started|KafkaServer id=1\] started/);
  }, 300_000);
});
