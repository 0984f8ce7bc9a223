import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { DevstackError } from './errors.ts';
import { startJava, isAlive, tail, sleep } from './process.ts';

export interface KafkaPlan {
  lib: string;
  dir: string;
  port: number;
  controllerPort: number;
}

export const kafkaLog = (dir: string) => join(dir, 'server.log');

/** Writes server.properties and formats the KRaft storage; returns the JVM arguments. */
export function prepareKafka(plan: KafkaPlan): string[] {
  const { dir, port, controllerPort, lib } = plan;
  mkdirSync(join(dir, 'data'), { recursive: true });
  const props = join(dir, 'server.properties');
  writeFileSync(
    props,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=PLAINTEXT',
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
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
      '',
    ].join('\n'),
  );
  const log4j = join(dir, 'log4j.properties');
  writeFileSync(
    log4j,
    [
      'log4j.rootLogger=INFO, file',
      'log4j.appender.file=org.apache.log4j.FileAppender',
      `log4j.appender.file.File=${kafkaLog(dir)}`,
      'log4j.appender.file.layout=org.apache.log4j.PatternLayout',
      'log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n',
      'log4j.logger.kafka=INFO',
      'log4j.logger.org.apache.kafka=INFO',
      'log4j.logger.state.change.logger=WARN',
      'log4j.logger.kafka.request.logger=WARN',
      '',
    ].join('\n'),
  );
  const jvm = ['-Xms256m', '-Xmx512m', '-XX:+UseG1GC', '-Djava.awt.headless=true', `-Dlog4j.configuration=file:${log4j}`, `-Dkafka.logs.dir=${dir}`, '-cp', `${lib}/*`];
  if (existsSync(join(dir, 'data', 'meta.properties'))) return [...jvm, 'kafka.Kafka', props]; // a restart keeps its data
  const clusterId = randomBytes(16).toString('base64url').slice(0, 22);
  const format = spawnSync('java', [...jvm, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', props], { encoding: 'utf8' });
  if (format.status !== 0) {
    throw new DevstackError('EXITED', `Kafka storage format failed: ${(format.stderr || format.stdout).trim().split('\n').slice(-3).join(' | ')}`);
  }
  return [...jvm, 'kafka.Kafka', props];
}

export function startKafka(plan: KafkaPlan, detached: boolean): number {
  return startJava(prepareKafka(plan), join(plan.dir, 'stdout.log'), { detached, cwd: plan.dir });
}

/** Ready when an admin client lists topics (a real request), within `timeoutMs`. */
export async function waitKafkaReady(pid: number, plan: KafkaPlan, timeoutMs: number): Promise<void> {
  const kafka = new kafkajs.Kafka({
    clientId: 'devstack',
    brokers: [`127.0.0.1:${plan.port}`],
    logLevel: kafkajs.logLevel.NOTHING,
    retry: { retries: 0 },
    connectionTimeout: 1000,
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) {
      throw new DevstackError('EXITED', `Kafka exited during start; last lines of ${kafkaLog(plan.dir)}:\n${tail(kafkaLog(plan.dir), 15)}\n${tail(join(plan.dir, 'stdout.log'), 10)}`);
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
  throw new DevstackError('NOT_READY', `Kafka not ready on 127.0.0.1:${plan.port} after ${timeoutMs / 1000} s; last lines of ${kafkaLog(plan.dir)}:\n${tail(kafkaLog(plan.dir), 15)}`);
}
