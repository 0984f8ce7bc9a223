import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { DevstackError } from './errors.ts';
import { startJava, isAlive, tail, sleep } from './process.ts';
import { kafkaMajor } from './versions.ts';

export interface KafkaPlan {
  lib: string;
  /** The Kafka release in `lib` (its major line picks the logging config and a few settings). */
  version: string;
  dir: string;
  port: number;
  controllerPort: number;
  /** Secure mode: SASL_SSL with SCRAM-SHA-512 on the client port (absent: PLAINTEXT, the default stack). */
  security?: KafkaSecurity;
}

/** A SCRAM user of the secure broker. */
export interface ScramUser {
  username: string;
  password: string;
}

/**
 * How the secure broker is set up: TLS from `tls.ts`, an inter-broker user and the client users,
 * all created as SCRAM-SHA-512 credentials when the storage is formatted (KRaft, Kafka >= 3.5).
 */
export interface KafkaSecurity {
  keystore: string;
  truststore: string;
  storePassword: string;
  caFile: string;
  /** The broker's own user (inter-broker listener) and the one the readiness probe uses. */
  admin: ScramUser;
  users: ScramUser[];
}

/** The listener lines: PLAINTEXT by default; SASL_SSL on the client port in secure mode (the controller stays PLAINTEXT on loopback). */
function listenerProps(plan: KafkaPlan): string[] {
  const { port, controllerPort, security } = plan;
  if (!security) {
    return [
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=PLAINTEXT',
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    ];
  }
  const { admin } = security;
  return [
    `listeners=SASL_SSL://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=SASL_SSL://127.0.0.1:${port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=SASL_SSL',
    'listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT',
    'sasl.enabled.mechanisms=SCRAM-SHA-512',
    'sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512',
    // A PASSWORD-type config: Kafka logs it as [hidden].
    `listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${admin.username}" password="${admin.password}";`,
    'ssl.keystore.type=PKCS12',
    `ssl.keystore.location=${security.keystore}`,
    `ssl.keystore.password=${security.storePassword}`,
    `ssl.key.password=${security.storePassword}`,
    'ssl.truststore.type=PKCS12',
    `ssl.truststore.location=${security.truststore}`,
    `ssl.truststore.password=${security.storePassword}`,
    'ssl.client.auth=none',
  ];
}

/** Blanks the secure stack's passwords out of a text (a tool's output quoted in an error). */
function redact(text: string, security: KafkaSecurity | undefined): string {
  if (!security) return text;
  let out = text;
  for (const secret of [security.storePassword, security.admin.password, ...security.users.map((u) => u.password)]) out = out.replaceAll(secret, '***');
  return out;
}

/** The `--add-scram` arguments of `StorageTool format` (passwords are hex: nothing to escape). */
function scramArgs(security: KafkaSecurity | undefined): string[] {
  if (!security) return [];
  return [security.admin, ...security.users].flatMap((u) => ['--add-scram', `SCRAM-SHA-512=[name=${u.username},password=${u.password}]`]);
}

export const kafkaLog = (dir: string) => join(dir, 'server.log');

/**
 * A Kafka cluster id: 16 random bytes in base64url (22 characters), drawn again while it starts
 * with '-', as Kafka's own Uuid.randomUuid does: the storage tool would read `-t -…` as an option
 * ("argument --cluster-id/-t: expected one argument"), one format in 64.
 */
export function newClusterId(random: (size: number) => Buffer = randomBytes): string {
  for (;;) {
    const id = random(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/**
 * Writes the broker's logging config (to server.log in `dir`, not the terminal) and returns its
 * JVM flag. Kafka 3 logs through reload4j (log4j 1 properties); Kafka 4 through log4j2, which
 * reads its own format and system property.
 */
function writeLoggingConfig(dir: string, version: string): string[] {
  const quiet = { 'state.change.logger': 'WARN', 'kafka.request.logger': 'WARN' };
  if (kafkaMajor(version) === 3) {
    const file = join(dir, 'log4j.properties');
    writeFileSync(
      file,
      [
        'log4j.rootLogger=INFO, file',
        'log4j.appender.file=org.apache.log4j.FileAppender',
        `log4j.appender.file.File=${kafkaLog(dir)}`,
        'log4j.appender.file.layout=org.apache.log4j.PatternLayout',
        'log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n',
        ...Object.entries(quiet).map(([name, level]) => `log4j.logger.${name}=${level}`),
        '',
      ].join('\n'),
    );
    return [`-Dlog4j.configuration=file:${file}`];
  }
  const file = join(dir, 'log4j2.properties');
  writeFileSync(
    file,
    [
      'appender.file.type=File',
      'appender.file.name=file',
      `appender.file.fileName=${kafkaLog(dir)}`,
      'appender.file.layout.type=PatternLayout',
      'appender.file.layout.pattern=[%d] %p %m (%c)%n',
      'rootLogger.level=INFO',
      'rootLogger.appenderRef.file.ref=file',
      ...Object.entries(quiet).flatMap(([name, level], i) => [`logger.q${i}.name=${name}`, `logger.q${i}.level=${level}`]),
      '',
    ].join('\n'),
  );
  return [`-Dlog4j2.configurationFile=${file}`];
}

/** Writes server.properties and formats the KRaft storage; returns the JVM arguments. */
export function prepareKafka(plan: KafkaPlan): string[] {
  const { dir, controllerPort, lib } = plan;
  mkdirSync(join(dir, 'data'), { recursive: true });
  const props = join(dir, 'server.properties');
  writeFileSync(
    props,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
      ...listenerProps(plan),
      `log.dirs=${join(dir, 'data')}`,
      'num.partitions=4',
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=8',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'transaction.state.log.num.partitions=4',
      'group.initial.rebalance.delay.ms=0',
      'auto.create.topics.enable=true',
      'log.flush.interval.messages=9223372036854775807',
      'num.network.threads=2',
      'num.io.threads=4',
      'log.retention.check.interval.ms=60000',
      'log.segment.bytes=268435456',
      // After a kill -9 the controller (same process) still holds the dead incarnation's broker
      // registration and answers DUPLICATE_BROKER_REGISTRATION until its session expires
      // (default 9 s, heartbeats every 2 s): most of a Kafka 4 crash restart. A shorter session,
      // with the heartbeat at a quarter of it as by default, keeps a margin on a busy 2-core machine.
      'broker.session.timeout.ms=4000',
      'broker.heartbeat.interval.ms=1000',
      // Kafka 4 adds the share-group coordinator (KIP-932): its state topic needs one replica here too.
      ...(kafkaMajor(plan.version) === 4 ? ['share.coordinator.state.topic.replication.factor=1', 'share.coordinator.state.topic.min.isr=1'] : []),
      '',
    ].join('\n'),
    { mode: 0o600 }, // secure mode writes passwords here: only the owner reads it
  );
  const logging = writeLoggingConfig(dir, plan.version);
  const jvm = ['-Xms256m', '-Xmx512m', '-XX:+UseG1GC', '-Djava.awt.headless=true', ...logging, `-Dkafka.logs.dir=${dir}`, '-cp', `${lib}/*`];
  if (existsSync(join(dir, 'data', 'meta.properties'))) return [...jvm, 'kafka.Kafka', props]; // a restart keeps its data
  const format = spawnSync('java', [...jvm, 'kafka.tools.StorageTool', 'format', '-t', newClusterId(), '-c', props, ...scramArgs(plan.security)], { encoding: 'utf8' });
  if (format.status !== 0) {
    // The tool's own message (the exception line), not only the end of its stack trace.
    const lines = `${format.stdout}\n${format.stderr}`.trim().split('\n').filter((l) => l.trim() !== '' && !/^\s+at /.test(l));
    const detail = redact(lines.slice(-3).join(' | '), plan.security);
    throw new DevstackError('DEVSTACK_EXITED', `Kafka storage format failed: ${detail}`);
  }
  return [...jvm, 'kafka.Kafka', props];
}

export function startKafka(plan: KafkaPlan, detached: boolean): number {
  return startJava(prepareKafka(plan), join(plan.dir, 'stdout.log'), { detached, cwd: plan.dir });
}

/** Ready when an admin client lists topics (a real request), within `timeoutMs`. */
/** A kafkajs client of the devstack's broker (its admin user where secure), without retries: the callers poll. */
function devstackKafka(plan: KafkaPlan): InstanceType<typeof kafkajs.Kafka> {
  const security = plan.security;
  return new kafkajs.Kafka({
    clientId: 'devstack',
    brokers: [`127.0.0.1:${plan.port}`],
    ...(security
      ? { ssl: { ca: [readFileSync(security.caFile, 'utf8')] }, sasl: { mechanism: 'scram-sha-512' as const, username: security.admin.username, password: security.admin.password } }
      : {}),
    logLevel: kafkajs.logLevel.NOTHING,
    retry: { retries: 0 },
    connectionTimeout: 1000,
  });
}

/**
 * Waits until every partition of every topic answers ListOffsets. After a kill -9 the broker
 * answers metadata before it has recovered its logs, and a partition answers "not the leader"
 * until then: a restart is over only when the topics it kept can be read again.
 */
export async function waitKafkaPartitionsOnline(plan: KafkaPlan, timeoutMs: number): Promise<void> {
  const kafka = devstackKafka(plan);
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const admin = kafka.admin();
    try {
      await admin.connect();
      const topics = (await admin.listTopics()).filter((t) => !t.startsWith('__'));
      for (const topic of topics) await admin.fetchTopicOffsets(topic);
      await admin.disconnect();
      return;
    } catch (err) {
      last = err;
      await admin.disconnect().catch(() => undefined);
      await sleep(500);
    }
  }
  throw new DevstackError('DEVSTACK_NOT_READY', `Kafka's partitions not online on 127.0.0.1:${plan.port} after ${timeoutMs / 1000} s: ${(last as Error | undefined)?.message ?? 'no answer'}`);
}

export async function waitKafkaReady(pid: number, plan: KafkaPlan, timeoutMs: number): Promise<void> {
  const kafka = devstackKafka(plan);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) {
      throw new DevstackError('DEVSTACK_EXITED', `Kafka exited during start; last lines of ${kafkaLog(plan.dir)}:\n${tail(kafkaLog(plan.dir), 15)}\n${tail(join(plan.dir, 'stdout.log'), 10)}`);
    }
    const admin = kafka.admin();
    try {
      await admin.connect();
      await admin.listTopics();
      await admin.disconnect();
      return;
    } catch {
      await admin.disconnect().catch(() => undefined);
      await sleep(500);
    }
  }
  throw new DevstackError('DEVSTACK_NOT_READY', `Kafka not ready on 127.0.0.1:${plan.port} after ${timeoutMs / 1000} s; last lines of ${kafkaLog(plan.dir)}:\n${tail(kafkaLog(plan.dir), 15)}`);
}
