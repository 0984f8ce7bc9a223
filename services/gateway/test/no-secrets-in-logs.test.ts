// @servers kafka
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { RawDevice, avlPacket } from './helpers/device.ts';
import { suiteKafkaClientEnv } from '@fleetstream/test-kit';
import { brokers, createTopics, deleteTopics, readTopic, suffix } from './helpers/kafka.ts';

const ENTRY = fileURLToPath(new URL('../src/index.ts', import.meta.url));

/** A gateway child process whose every output line is kept. */
interface Child {
  proc: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
}

function startChild(env: Record<string, string>): Child {
  const proc = spawn(process.execPath, [ENTRY], { env: { PATH: process.env.PATH, ...suiteKafkaClientEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const partial = { stdout: '', stderr: '' };
  for (const name of ['stdout', 'stderr'] as const) {
    proc[name]!.setEncoding('utf8');
    proc[name]!.on('data', (chunk: string) => {
      const parts = (partial[name] + chunk).split('\n');
      partial[name] = parts.pop()!;
      lines.push(...parts);
    });
  }
  const exited = new Promise<number | null>((resolve) =>
    proc.once('close', (code) => {
      for (const rest of [partial.stdout, partial.stderr]) if (rest) lines.push(rest);
      resolve(code);
    }),
  );
  return { proc, lines, exited };
}

/** Resolves with the first log line (parsed) whose msg is `msg`; rejects if the child exits first. */
async function untilLogged(child: Child, msg: string): Promise<Record<string, unknown>> {
  let exited = false;
  void child.exited.then(() => (exited = true));
  for (;;) {
    for (const line of child.lines) {
      if (!line.startsWith('{')) continue;
      const entry = JSON.parse(line) as Record<string, unknown>;
      if (entry.msg === msg) return entry;
    }
    if (exited) throw new Error(`the gateway exited before logging "${msg}": ${child.lines.join('\n')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The lines of `lines` containing `needle` (case-insensitive), for a readable failure. */
const containing = (lines: string[], needle: string) => lines.filter((l) => l.toLowerCase().includes(needle.toLowerCase()));

describe('the gateway never logs a password, token or payload', () => {
  const topic = `telemetry.raw.gw-secrets-${suffix()}`;
  const dlqTopic = `telemetry.dlq.gw-secrets-${suffix()}`;
  const token = `tok-${randomBytes(16).toString('hex')}`;
  const wrongToken = `wrong-${randomBytes(16).toString('hex')}`;
  const password = `pw-${randomBytes(16).toString('hex')}`;
  const marker = `MARKER${randomBytes(8).toString('hex')}`;
  const hexMarker = `c0ffee${randomBytes(8).toString('hex')}`;
  const baseEnv = () => ({
    KAFKA_BROKERS: brokers().join(','),
    RAW_TOPIC: topic,
    DLQ_TOPIC: dlqTopic,
    HEALTH_PORT: '0',
    GATEWAY_TCP_PORT: '0',
    GATEWAY_HTTP_PORT: '0',
    GATEWAY_UDP_PORT: '0',
    GATEWAY_HOST: '127.0.0.1',
    LOG_LEVEL: 'debug',
    SHUTDOWN_TIMEOUT_MS: '5000',
    GATEWAY_TOKENS: token,
  });

  beforeAll(async () => {
    await createTopics([topic, dlqTopic], 2);
  });

  afterAll(async () => {
    await deleteTopics([topic, dlqTopic]);
  });

  test.each([
    ['GATEWAY_TCP_PORT', { GATEWAY_TCP_PORT: 'not-a-port' }],
    ['KAFKA_SASL_MECHANISM', { KAFKA_SASL_MECHANISM: 'gssapi' }],
    ['KAFKA_BROKERS', { KAFKA_BROKERS: 'no port here' }],
  ])('a configuration that fails on %s exits 2 naming it, without the password or the token', async (variable, bad) => {
    // Act
    const child = startChild({ ...baseEnv(), KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'fleet', KAFKA_SASL_PASSWORD: password, ...bad });
    const code = await child.exited;

    // Assess
    expect(code).toBe(2);
    expect(child.lines.filter((l) => l.trim() !== '')).toEqual([expect.stringContaining(`gateway: invalid configuration: ${variable}: `)]);
    expect(containing(child.lines, password)).toEqual([]);
    expect(containing(child.lines, token)).toEqual([]);
  });

  test('a debug-level run with TCP devices, bad packets, HTTP posts with good and wrong tokens, and a SIGTERM logs none of them', async () => {
    // Prepare
    const child = startChild(baseEnv());
    const listening = await untilLogged(child, 'gateway listening');
    await untilLogged(child, 'connected to Kafka'); // packets before that are refused (no ack), by design
    const tcpPort = Number(listening.tcpPort);
    const url = `http://127.0.0.1:${Number(listening.httpPort)}/v1/telemetry`;
    const good1 = avlPacket(1_700_000_000_000, 2);
    const bad = avlPacket(1_700_000_050_000, 3);
    bad[bad.length - 1] = bad[bad.length - 1]! ^ 0xff; // CRC mismatch: to the DLQ
    const good2 = avlPacket(1_700_000_100_000, 1);
    const garbage = Buffer.concat([Buffer.from([0x00, 0x0f]), randomBytes(15)]); // a login that is not an IMEI
    const valid = JSON.stringify({ deviceId: 'dev-secret-test', eventTime: 1_700_000_000_000, position: { lat: 54.7, lon: 25.26, speed: 12 }, io: { '239': 1, '11': { hex: hexMarker } } });
    const post = (body: string, auth?: string) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${auth}` } : {}) }, body });

    // Act: TCP: a good packet (acked: 2), a bad one (DLQ, no ack), a good one (acked: 1); then a garbage login
    const device = await RawDevice.connect(tcpPort);
    device.login('356307042441013');
    await device.receivedAtLeast(1);
    device.write(good1);
    await device.receivedAtLeast(5);
    device.write(bad);
    device.write(good2);
    await device.receivedAtLeast(9);
    device.destroy();
    const intruder = await RawDevice.connect(tcpPort);
    intruder.write(garbage);
    await intruder.closed;
    // HTTP: Kafka is connected (TCP acks arrived), so the good post is accepted
    const statuses = [
      (await post(valid, token)).status,
      (await post(valid, wrongToken)).status,
      (await post(valid)).status,
      (await post(`{"deviceId":"${marker}","eventTime":"${marker}"}`, token)).status,
      (await post(`not json ${marker}`, token)).status,
    ];
    const dead = await readTopic(dlqTopic);
    child.proc.kill('SIGTERM');
    const code = await child.exited;

    // Assess: the run did what it should, and its output holds real log lines
    expect(statuses).toEqual([202, 403, 401, 400, 400]);
    expect(device.received.subarray(1)).toEqual(Buffer.from([0, 0, 0, 2, 0, 0, 0, 1]));
    expect(dead.map((d) => d.value.equals(bad))).toEqual([true]);
    expect(code).toBe(0);
    const messages = child.lines.filter((l) => l.startsWith('{')).map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(messages).toEqual(expect.arrayContaining(['gateway listening', 'bad packet sent to the DLQ, not acknowledged', 'HTTP ingest refused: token not accepted', 'stopped']));
    // The refusal warnings are throttled (one per 10 s): the 401 right after the 403 is only counted.
    expect(messages.filter((m) => m.startsWith('HTTP ingest refused'))).toEqual(['HTTP ingest refused: token not accepted']);
    // Assess: no secret, marker or payload bytes in any line
    const payloadHex = [good1, bad, good2, garbage].flatMap((p) => [p.toString('hex'), p.subarray(8, p.length - 4).toString('hex')]);
    for (const secret of [token, wrongToken, marker, hexMarker, ...payloadHex]) expect(containing(child.lines, secret)).toEqual([]);
    expect(containing(child.lines, Buffer.from(token).toString('base64'))).toEqual([]);
  });
});
