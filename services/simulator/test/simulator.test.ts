// @servers kafka
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { promisify } from 'node:util';
import { Registry } from 'prom-client';
import { brokers, createTopics, deleteTopics, suffix, topicSize } from '@fleetstream/test-kit';
import { startService } from '@fleetstream/stream';
import { decodeTcpPacket, encodeTcpPacket, type AvlRecord } from '@fleetstream/telemetry';
import { gatewayDefinition, type GatewayService } from '@fleetstream/gateway';
import { createSimulator, createSimulatorMetrics, DeviceModel, IO, parseCli, SimulatorError, type Summary } from '../src/index.ts';

/** The value of one series in a registry (0 when the series does not exist). */
async function metricValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`${name} is not registered`);
  const { values } = await metric.get();
  return values.filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l)).reduce((sum, v) => sum + v.value, 0);
}

/** The value of one series in a Prometheus text exposition (summed over series matching `labels`). */
function scrapedValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^(\w+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) sum += Number(m[3]);
  }
  return sum;
}

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

  it('reads every setting from the environment, and a flag wins over its variable', () => {
    // Act
    const fromEnv = parseCli([], { SIM_DEVICES: '7', SIM_RATE: '2.5', SIM_MODE: 'burst', SIM_DURATION: '0', SIM_TCP: 'gateway:5027', SIM_HTTP: 'http://gateway:8080', GATEWAY_TOKEN: 't', SIM_RECORDS: '3', SIM_SEED: '4', SIM_ACK_LOSS: '0.5', RAW_TOPIC: 'raw', KAFKA_BROKERS: 'k1:9092,k2:9092', SIM_SUMMARY_FILE: '/tmp/s.json', HEALTH_PORT: '9464' });
    const flagsWin = parseCli(['--devices', '3', '--tcp', '127.0.0.1:5027', '--health-port', '0'], { SIM_DEVICES: '7', SIM_TCP: 'gateway:5027', HEALTH_PORT: '9464' });

    // Assess
    expect(fromEnv).toEqual({
      options: { devices: 7, rate: 2.5, mode: 'burst', durationSec: Number.POSITIVE_INFINITY, packetsPerDevice: 0, tcp: 'gateway:5027', http: 'http://gateway:8080', token: 't', recordsPerPacket: 3, seed: 4, ackLossRate: 0.5, events: 0, topic: 'raw', brokers: ['k1:9092', 'k2:9092'] },
      jsonFile: '/tmp/s.json',
      healthPort: 9464,
    });
    expect([flagsWin.options.devices, flagsWin.options.tcp, flagsWin.healthPort, flagsWin.options.durationSec]).toEqual([3, '127.0.0.1:5027', 0, 30]);
  });

  it.each([
    [[], { SIM_DEVICES: 'many' }, 'SIM_DEVICES: must be an integer (got "many")'],
    [['--devices', '0'], { SIM_DEVICES: '5' }, '--devices: must be >= 1 (got "0")'],
    [[], { SIM_TCP: 'gateway' }, 'SIM_TCP: must be host:port (got "gateway")'],
    [[], { HEALTH_PORT: '70000' }, 'HEALTH_PORT: must be <= 65535 (got "70000")'],
  ])('names the flag or the variable that is wrong: %j %j', (argv, env, message) => {
    expect(() => parseCli(argv, env)).toThrow(expect.objectContaining({ code: 'SIMULATOR_BAD_OPTIONS', message }) as SimulatorError);
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

  it('acknowledges exactly as many packets (TCP) and requests (HTTP) as there are records in the raw topic, and its metrics say the same', async () => {
    // Prepare
    const registry = new Registry();
    const sim = createSimulator({
      metrics: createSimulatorMetrics(registry),
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
    const [tcpAcked, httpAcked] = [await metricValue(registry, 'fleetstream_simulator_acked_total', { protocol: 'tcp' }), await metricValue(registry, 'fleetstream_simulator_acked_total', { protocol: 'http' })];
    expect(tcpAcked).toBeGreaterThan(0);
    expect(httpAcked).toBeGreaterThan(0);
    expect({
      sent: await metricValue(registry, 'fleetstream_simulator_sent_total'),
      acked: tcpAcked + httpAcked,
      records: await metricValue(registry, 'fleetstream_simulator_records_total'),
      errors: await metricValue(registry, 'fleetstream_simulator_errors_total'),
      devices: await metricValue(registry, 'fleetstream_simulator_devices', { service: 'simulator' }),
    }).toEqual({ sent: summary.sent, acked: summary.acked, records: summary.records, errors: 0, devices: 20 });
  });

  it('runs from the environment alone until SIGTERM, serving /healthz and /metrics on HEALTH_PORT while it feeds', async () => {
    // Prepare: the settings a container gets (no flags), duration 0 = until stopped
    const file = join(mkdtempSync(join(tmpdir(), 'sim-')), 'summary.json');
    const before = await topicSize(topic);
    const child = spawn(process.execPath, [entry], {
      env: { PATH: process.env.PATH ?? '', SIM_TCP: `127.0.0.1:${gateway.tcpPort}`, SIM_DEVICES: '5', SIM_RATE: '50', SIM_DURATION: '0', SIM_SUMMARY_FILE: file, HEALTH_PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = once(child, 'exit');
    while (!/on port (\d+)/.test(stderr) && child.exitCode === null) await new Promise((r) => setTimeout(r, 50));
    const port = Number(/on port (\d+)/.exec(stderr)?.[1]);

    // Act: scrape until it has fed the gateway, then stop it as a container runtime would
    const healthz = await fetch(`http://127.0.0.1:${port}/healthz`);
    let scraped = '';
    const deadline = Date.now() + 20_000;
    while (scrapedValue(scraped, 'fleetstream_simulator_acked_total', { protocol: 'tcp' }) < 20 && Date.now() < deadline) {
      scraped = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill('SIGTERM');
    const [code] = (await exited) as [number];

    // Assess
    const summary = JSON.parse(readFileSync(file, 'utf8')) as Summary;
    expect(healthz.status).toBe(200);
    expect(scrapedValue(scraped, 'fleetstream_simulator_acked_total', { protocol: 'tcp' })).toBeGreaterThanOrEqual(20);
    expect(code).toBe(0);
    expect(summary).toMatchObject({ mode: 'steady', devices: 5, errors: 0 });
    expect(summary.acked).toBeGreaterThanOrEqual(scrapedValue(scraped, 'fleetstream_simulator_acked_total'));
    expect(scrapedValue(scraped, 'fleetstream_simulator_devices')).toBe(5);
    expect(scrapedValue(scraped, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(await topicSize(topic)).toBe(before + summary.acked);
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
  it('ends a long run early when stop() is called, with every device waking from its wait, its errors counted by code', async () => {
    // Prepare: nothing listens on port 1, so devices would otherwise wait and retry for a minute.
    const registry = new Registry();
    const sim = createSimulator({ devices: 5, mode: 'steady', rate: 1, durationSec: 60, tcp: '127.0.0.1:1', live: false, ackTimeoutMs: 1_000, metrics: createSimulatorMetrics(registry, { processMetrics: false }) });
    const run = sim.run();

    // Act
    await new Promise((r) => setTimeout(r, 300));
    sim.stop();
    const summary = await run;

    // Assess
    expect(summary.acked).toBe(0);
    expect(summary.durationMs).toBeLessThan(60_000);
    expect(summary.errorsByCode.SIMULATOR_CONNECTION_FAILED).toBeGreaterThan(0);
    expect(await metricValue(registry, 'fleetstream_simulator_errors_total', { code: 'SIMULATOR_CONNECTION_FAILED' })).toBe(summary.errorsByCode.SIMULATOR_CONNECTION_FAILED);
    expect(await metricValue(registry, 'fleetstream_simulator_acked_total')).toBe(0);
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
