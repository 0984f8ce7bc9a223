/**
 * A service run as its own process, as a deployment runs it (`node <entry>.ts` with its
 * environment): so a test can kill -9 it mid-stream and start it again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { brokers, committedOffsets, endOffsets, readTopic, waitFor } from './index.ts';

/** A running service process. */
export interface ServiceProcess {
  child: ChildProcess;
  /** Everything it wrote to stderr so far. */
  stderr: () => string;
  /** Its health port, read from its `started` log line (HEALTH_PORT=0 lets the system pick one). */
  healthPort: Promise<number>;
  /** Its exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

/**
 * Starts `node <entry>` with only PATH, the run's KAFKA_BROKERS (and KAFKA_CLIENT when the run sets
 * it: CI runs suites again on the second client), HEALTH_PORT=0 and LOG_LEVEL=info from this
 * process, then `env` (so nothing else of the test's own environment leaks in).
 */
export function startServiceProcess(entry: string, env: Record<string, string>): ServiceProcess {
  const child = spawn(process.execPath, [entry], {
    env: {
      PATH: process.env.PATH,
      KAFKA_BROKERS: brokers().join(','),
      ...suiteKafkaClientEnv(),
      HEALTH_PORT: '0',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const healthPort = new Promise<number>((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /"healthPort":(\d+)/.exec(out);
      if (!m) return;
      resolve(Number(m[1]));
      // Keep draining stdout (a full pipe would block the service) without keeping what it logs.
      child.stdout!.off('data', onData).resume();
    };
    child.stdout!.on('data', onData);
    child.once('exit', () => reject(new Error(`${entry} exited before start: ${err}`)));
  });
  healthPort.catch(() => undefined);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return { child, stderr: () => err, healthPort, exited };
}

/**
 * `{ KAFKA_CLIENT }` of the test run when it sets one, else nothing (the services' default): spread
 * it into the env of every service a test starts, in-process (`startService(def, { env })` reads
 * only the env it is given) or as a child, so `KAFKA_CLIENT=platformatic npx jest` runs the
 * services of the whole suite on that client.
 */
export const suiteKafkaClientEnv = (): { KAFKA_CLIENT?: string } => (process.env.KAFKA_CLIENT ? { KAFKA_CLIENT: process.env.KAFKA_CLIENT } : {});

/**
 * Throws unless `name` (a started service's `deps.kafka.name`) is the run's KAFKA_CLIENT (kafkajs
 * when unset): a helper that starts a service in-process calls it, so a run meant for platformatic
 * cannot pass on kafkajs because an env was built without {@link suiteKafkaClientEnv}.
 */
export function expectSuiteKafkaClient(name: string | undefined): void {
  const want = process.env.KAFKA_CLIENT || 'kafkajs';
  if (name !== want) throw new Error(`the service runs on Kafka client ${String(name)}, the run asked for ${want} (KAFKA_CLIENT)`);
}

/** What {@link killMidStream} saw. */
export interface KillRun {
  /** The group's committed offsets on the input, summed, right after the kill. */
  committedAtKill: bigint;
  /** The input's end offsets, summed. */
  inputEnd: bigint;
  /** The restarted process's exit code after SIGTERM. */
  restartExit: number | null;
}

const sum = (offsets: Map<number, bigint>) =>
  [...offsets.values()].reduce((a, b) => a + (b > 0n ? b : 0n), 0n);

/**
 * Runs a consuming service over a filled input topic, kills it with SIGKILL once `killAfter`
 * records of `output` can be read (read_committed), starts it again with the same environment,
 * waits until `group`'s committed offsets reach the input's end and stops it with SIGTERM. The
 * caller then reads what the two processes wrote, to the end of each topic.
 */
export async function killMidStream(options: {
  entry: string;
  env: Record<string, string>;
  /** Variables of the restarted process that differ from `env`. */
  restartEnv?: Record<string, string>;
  input: string;
  group: string;
  output: string;
  killAfter: number;
  timeoutMs?: number;
}): Promise<KillRun> {
  const { entry, env, input, group, output, killAfter, timeoutMs = 180_000 } = options;
  const inputEnd = sum(await endOffsets(input));
  const first = startServiceProcess(entry, env);
  try {
    await first.healthPort;
    await readTopic(output, { count: killAfter, timeoutMs });
  } finally {
    first.child.kill('SIGKILL');
  }
  await first.exited;
  const committedAtKill = sum(await committedOffsets(group, input));
  const second = startServiceProcess(entry, { ...env, ...options.restartEnv });
  try {
    await waitFor(
      async () => sum(await committedOffsets(group, input)) >= inputEnd,
      `${group}'s committed offsets on ${input} at its end (${inputEnd})`,
      timeoutMs,
      250,
    );
  } finally {
    second.child.kill('SIGTERM');
  }
  return { committedAtKill, inputEnd, restartExit: await second.exited };
}

/** How `actual` differs from `expected` as multisets: the counts a delivery promise is about. */
export interface Tally {
  /** Records beyond an expected one's first copy (repeats). */
  duplicated: number;
  /** Expected records never seen. */
  missing: number;
  /** Records seen that were never expected. */
  unexpected: number;
}

/** Compares what a run wrote (ids, or any text naming a record) with what it should have written once each. */
export function tally(expected: readonly string[], actual: readonly string[]): Tally {
  const want = new Map<string, number>();
  for (const id of expected) want.set(id, (want.get(id) ?? 0) + 1);
  const seen = new Map<string, number>();
  for (const id of actual) seen.set(id, (seen.get(id) ?? 0) + 1);
  const result: Tally = { duplicated: 0, missing: 0, unexpected: 0 };
  for (const [id, n] of want) result.missing += Math.max(0, n - (seen.get(id) ?? 0));
  for (const [id, n] of seen) {
    const w = want.get(id) ?? 0;
    if (w === 0) result.unexpected += n;
    else result.duplicated += Math.max(0, n - w);
  }
  return result;
}

/**
 * Reads a run's output and DLQ to their ends (read_committed) and tallies them: output records by
 * their JSON `eventId` against `eventIds`, DLQ records by their bytes (base64) against `badValues`.
 */
export async function tallyOutputs(
  topics: { output: string; dlq: string },
  expected: { eventIds: readonly string[]; badValues: readonly string[] },
): Promise<{ events: Tally; dead: Tally }> {
  const out = await readTopic(topics.output);
  const dlq = await readTopic(topics.dlq);
  return {
    events: tally(
      expected.eventIds,
      out.map((r) => (JSON.parse(r.value!.toString()) as { eventId: string }).eventId),
    ),
    dead: tally(
      expected.badValues,
      dlq.map((r) => r.value!.toString('base64')),
    ),
  };
}
