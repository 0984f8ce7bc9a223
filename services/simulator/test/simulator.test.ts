import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { brokers, createTopics, deleteTopics, suffix, topicSize } from '@fleetstream/test-kit';
import { startService } from '@fleetstream/stream';
import { decodeTcpPacket, encodeTcpPacket, type AvlRecord } from '@fleetstream/telemetry';
import { gatewayDefinition, type GatewayService } from '@fleetstream/gateway';
import { createSimulator, DeviceModel, IO, parseCli, SimulatorError } from '../src/index.ts';

const entry = fileURLToPath(new URL('../src/index.ts', import.meta.url));

const ioValue = (r: AvlRecord, id: number) => r.io.find((e) => e.id === id)?.value as number;

describe('the device model', () => {
  it('gives the same records for the same seed and start time', () => {
    // Prepare
    const a = new DeviceModel({ deviceId: '356307040000000', index: 3, seed: 42, startTime: 1_700_000_000_000 });
    const b = new DeviceModel({ deviceId: '356307040000000', index: 3, seed: 42, startTime: 1_700_000_000_000 });

    // Act
    const ra = encodeTcpPacket({ codecId: a.codecId, records: a.nextRecords(200) });
    const rb = encodeTcpPacket({ codecId: b.codecId, records: b.nextRecords(200) });

    // Assess
    expect(ra.equals(rb)).toBe(true);
  });

  it('drives plausible trips: parked with the ignition off, moving with it on, odometer never falls, fuel falls while driving', () => {
    // Prepare
    const model = new DeviceModel({ deviceId: '356307040000001', index: 1, seed: 9, startTime: 1_700_000_000_000 });

    // Act: a simulated day at one record per 10 s.
    const records = decodeTcpPacket(encodeTcpPacket({ codecId: model.codecId, records: model.nextRecords(255) })).records.concat(
      ...Array.from({ length: 30 }, () => model.nextRecords(255)),
    );

    // Assess
    let moved = 0;
    for (let i = 1; i < records.length; i++) {
      const [prev, r] = [records[i - 1]!, records[i]!];
      expect(r.timestamp - prev.timestamp).toBe(10_000);
      expect(ioValue(r, IO.odometer)).toBeGreaterThanOrEqual(ioValue(prev, IO.odometer));
      if (ioValue(r, IO.ignition) === 0) expect(r.speed).toBe(0);
      if (ioValue(r, IO.ignition) === 1 && ioValue(prev, IO.ignition) === 1) expect(ioValue(r, IO.fuelLevel)).toBeLessThanOrEqual(ioValue(prev, IO.fuelLevel));
      if (r.speed > 0) moved += 1;
      expect(Math.abs(r.latitude - 54.6872)).toBeLessThan(0.1);
      expect(Math.abs(r.longitude - 25.2797)).toBeLessThan(0.2);
    }
    expect(moved).toBeGreaterThan(100);
    expect(records.some((r) => ioValue(r, IO.ignition) === 0)).toBe(true);
    expect(new Set(records.map((r) => ioValue(r, IO.externalVoltage) > 13_000)).size).toBe(2);
  });
});

describe('the command line', () => {
  it.each([
    [['--mode', 'sprint'], 'SIMULATOR_BAD_OPTIONS'],
    [['--devices', 'many'], 'SIMULATOR_BAD_OPTIONS'],
  ])('refuses %j with %s', (argv, code) => {
    // Act + Assess
    expect(() => parseCli(argv, {})).toThrow(expect.objectContaining({ code }) as SimulatorError);
  });

  it('refuses a run without a target', () => {
    expect(() => createSimulator({ devices: 1, mode: 'steady', durationSec: 1 })).toThrow(expect.objectContaining({ code: 'SIMULATOR_BAD_OPTIONS' }) as SimulatorError);
  });
});

describe('the simulator against the real gateway', () => {
  const topic = `telemetry.raw.sim-${suffix()}`;
  let gateway: GatewayService;
  let shutdown: () => Promise<void>;

  beforeAll(async () => {
    await createTopics([topic], 4);
    const started = await startService(gatewayDefinition, {
      env: { KAFKA_BROKERS: brokers().join(','), RAW_TOPIC: topic, HEALTH_PORT: '0', GATEWAY_TCP_PORT: '0', GATEWAY_HTTP_PORT: '0', GATEWAY_UDP_PORT: '0', GATEWAY_HOST: '127.0.0.1', GATEWAY_TOKENS: 'sim-token', LOG_LEVEL: 'silent' },
      handleSignals: false,
    });
    gateway = started.service as GatewayService;
    shutdown = started.shutdown;
    // Wait for the producer: packets sent before it is connected are (rightly) not acknowledged.
    while ((await fetch(`http://127.0.0.1:${started.deps.health.port}/readyz`)).status !== 200) await new Promise((r) => setTimeout(r, 50));
  });

  afterAll(async () => {
    await shutdown?.();
    await deleteTopics([topic]);
  });

  it('acknowledges exactly as many packets (TCP) and requests (HTTP) as there are records in the raw topic', async () => {
    // Prepare
    const sim = createSimulator({
      devices: 20,
      mode: 'steady',
      rate: 200,
      durationSec: 2,
      recordsPerPacket: 3,
      tcp: `127.0.0.1:${gateway.tcpPort}`,
      http: `http://127.0.0.1:${gateway.httpPort}`,
      token: 'sim-token',
      live: false,
    });

    // Act
    const summary = await sim.run();

    // Assess
    expect(summary.errors).toBe(0);
    expect(summary.acked).toBeGreaterThan(0);
    expect(summary.sent).toBe(summary.acked);
    expect(summary.records).toBe(summary.acked * 3);
    expect(await topicSize(topic)).toBe(summary.acked);
  });
});

describe('burst mode against the real gateway', () => {
  const topic = `telemetry.raw.sim-burst-${suffix()}`;
  let gateway: GatewayService;
  let shutdown: () => Promise<void>;

  beforeAll(async () => {
    await createTopics([topic], 4);
    const started = await startService(gatewayDefinition, {
      env: { KAFKA_BROKERS: brokers().join(','), RAW_TOPIC: topic, HEALTH_PORT: '0', GATEWAY_TCP_PORT: '0', GATEWAY_HTTP_PORT: '0', GATEWAY_UDP_PORT: '0', GATEWAY_HOST: '127.0.0.1', LOG_LEVEL: 'silent' },
      handleSignals: false,
    });
    gateway = started.service as GatewayService;
    shutdown = started.shutdown;
    while ((await fetch(`http://127.0.0.1:${started.deps.health.port}/readyz`)).status !== 200) await new Promise((r) => setTimeout(r, 50));
  });

  afterAll(async () => {
    await shutdown?.();
    await deleteTopics([topic]);
  });

  it('sends bursts and steady stretches, every acked packet in the raw topic', async () => {
    // Prepare
    const sim = createSimulator({ devices: 10, mode: 'burst', rate: 20, burstFactor: 5, burstSec: 0.5, burstPeriodSec: 1, durationSec: 2, tcp: `127.0.0.1:${gateway.tcpPort}`, seed: 3, live: false });

    // Act
    const summary = await sim.run();

    // Assess
    expect(summary.errors).toBe(0);
    expect(summary.acked).toBeGreaterThan(0);
    expect(await topicSize(topic)).toBe(summary.acked);
  });
});

describe('stopping a run', () => {
  it('ends a long run early when stop() is called, with every device waking from its wait', async () => {
    // Prepare: nothing listens on port 1, so devices would otherwise wait and retry for a minute.
    const sim = createSimulator({ devices: 5, mode: 'steady', rate: 1, durationSec: 60, tcp: '127.0.0.1:1', live: false, ackTimeoutMs: 1_000 });
    const run = sim.run();

    // Act
    await new Promise((r) => setTimeout(r, 300));
    sim.stop();
    const summary = await run;

    // Assess
    expect(summary.acked).toBe(0);
    expect(summary.durationMs).toBeLessThan(60_000);
  });
});

describe('backlog mode from the command line', () => {
  const topic = `telemetry.raw.sim-backlog-${suffix()}`;
  beforeAll(() => createTopics([topic], 4));
  afterAll(() => deleteTopics([topic]));

  it('produces M events straight into the raw topic and writes the JSON summary', async () => {
    // Prepare
    const file = join(mkdtempSync(join(tmpdir(), 'sim-')), 'summary.json');

    // Act
    const { stdout } = await promisify(execFile)(process.execPath, [entry, '--mode', 'backlog', '--events', '2500', '--devices', '30', '--topic', topic, '--brokers', brokers().join(','), '--json', file]);

    // Assess
    const summary = JSON.parse(readFileSync(file, 'utf8')) as { acked: number; mode: string };
    expect(summary).toMatchObject({ mode: 'backlog', acked: 2500, sent: 2500, records: 2500, errors: 0 });
    expect(stdout).toContain('acked     2500');
    expect(await topicSize(topic)).toBe(2500);
  });
});
