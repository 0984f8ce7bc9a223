// @servers kafka
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { decodeTcpAck } from '@fleetstream/telemetry';
import { avlPacket, RawDevice } from './helpers/device.ts';
import { brokers, createTopics, deleteTopics, readTopic, suffix } from './helpers/kafka.ts';

const entry = fileURLToPath(new URL('../src/index.ts', import.meta.url));

describe('the gateway process on SIGTERM', () => {
  const topic = `telemetry.raw.gw-stop-${suffix()}`;

  beforeAll(() => createTopics([topic], 6));
  afterAll(() => deleteTopics([topic]));

  let child: ReturnType<typeof spawn> | undefined;
  afterEach(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it('stops accepting, closes device connections and exits 0 after acknowledging what Kafka stored', async () => {
    // Prepare: a gateway process with one logged-in device that got its ack.
    child = spawn(process.execPath, [entry], {
      env: { ...process.env, KAFKA_BROKERS: brokers().join(','), RAW_TOPIC: topic, HEALTH_PORT: '0', GATEWAY_TCP_PORT: '0', GATEWAY_HTTP_PORT: '0', GATEWAY_UDP_PORT: '0', GATEWAY_HOST: '127.0.0.1', LOG_LEVEL: 'info', SHUTDOWN_TIMEOUT_MS: '5000' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let log = '';
    const tcpPort = await new Promise<number>((resolve, reject) => {
      child!.stdout!.on('data', (chunk: Buffer) => {
        log += chunk.toString();
        const m = /"tcpPort":(\d+)/.exec(log);
        if (m && log.includes('connected to Kafka')) resolve(Number(m[1]));
      });
      child!.once('exit', () => reject(new Error(`gateway exited early:\n${log}`)));
    });
    const device = await RawDevice.connect(tcpPort);
    device.login('356307042441013');
    device.write(avlPacket(1_700_000_000_000, 2));
    await device.receivedAtLeast(5);

    // Act
    const exited = once(child!, 'exit') as Promise<[number | null, string | null]>;
    child!.kill('SIGTERM');
    const [code] = await exited;
    await device.closed;

    // Assess
    expect(code).toBe(0);
    expect(decodeTcpAck(device.received.subarray(1))).toBe(2);
    expect(await readTopic(topic)).toHaveLength(1);
    expect(log).toContain('gateway stopped');
  });
});
