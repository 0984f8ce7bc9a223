/**
 * `fleetstream load [--rates 500,1000,2000,4000] [--devices 5000] [--step-seconds 30]`: the
 * open-loop load test. Starts the devstack and the pipeline as the demo does (each service its own
 * process, fixed ports: run it under `flock /tmp/fleetstream-bench.lock` where others share the
 * machine), warms it up at the first rate (not recorded), then offers each rate from many simulated devices over TCP and HTTP for a step, and
 * records per step offered, acked, e2e p50/p99/max, lag per stage, CPU-seconds per process (Kafka
 * and Cassandra included) and RSS. The sustainable rate is the highest step where acked = offered,
 * lag did not grow and e2e p99 < 1 s. Writes load.json and load.svg.
 * Exit codes: 0 ran, 1 a failed run, 2 bad input.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { down, up } from '@fleetstream/devstack';
import { Supervisor } from './demo/supervisor.ts';
import { startPipeline } from './demo/pipeline.ts';
import { formatTable } from './format-table.ts';
import { LOAD_USAGE, parseLoadArgs, type LoadCliOptions } from './load/load-options.ts';
import { UsageError } from './errors.ts';
import { measureIdleCpu, rssPerService, runLadder, warmUp, type LoadStep } from './load/load-steps.ts';
import { loadChartSvg } from './load/load-chart.ts';
import { assertPortsFree, loadPorts } from './load/load-ports.ts';

const repo = new URL('../../../', import.meta.url).pathname;

/** The per-step table printed at the end. */
export function renderLoadTable(steps: LoadStep[], sustainable: number): string {
  const rows = steps.map((s) => [
    String(s.rate), String(s.ackedPerSec), String(s.e2e.p50Ms ?? '–'), String(s.e2e.p99Ms ?? '–'), String(s.e2e.maxMs ?? '–'),
    Object.values(s.lag).map((l) => l.end).join('/'), String(s.cpuMsPerEvent.all), String(s.cpuMsPerEventAboveIdle?.all ?? '–'), s.sustainable ? 'yes' : `no: ${s.why.join('; ')}`,
  ]);
  const rss = rssPerService(steps);
  const each = Object.entries(rss.byService).map(([n, mb]) => `${n} ${mb}`).join(', ');
  return `${formatTable(['offered/s', 'acked/s', 'e2e p50 ms', 'p99 ms', 'max ms <=', 'lag p/e/s', 'CPU ms/event', 'above idle', 'sustainable'], rows)}\nsustainable rate: ${sustainable} events/s\nrss-mb-per-service: ${rss.maxMb} MB (highest RSS over the steps: ${each})`;
}

export async function runLoad(args: string[]): Promise<number> {
  let o: LoadCliOptions;
  try {
    o = parseLoadArgs(args);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`fleetstream load: ${err.message}\n${LOAD_USAGE}\n`);
    return 2;
  }
  const say = (msg: string) => process.stderr.write(`[load] ${msg}\n`);
  let stopping = false;
  const onSignal = () => {
    stopping = true;
    say('interrupted: ending after this step');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const { state, started } = await up({ detached: true });
  const runDir = join(repo, 'runs', `load-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  const supervisor = new Supervisor(runDir);
  let code = 0;
  try {
    say(`Kafka ${state.kafka.brokers}, Cassandra ${state.cassandra.contactPoints}; logs in ${runDir}`);
    const ports = loadPorts(o.portBase);
    await assertPortsFree(ports);
    const pipeline = await startPipeline(supervisor, {
      ports,
      kafkaBrokers: state.kafka.brokers,
      cassandraContactPoints: state.cassandra.contactPoints,
      pgUrl: process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
      devices: o.devices,
      logLevel: 'warn',
      env: o.env,
      onReady: (name) => say(`${name} ready`),
      stopping: () => stopping,
    });
    const serverPids = { kafka: state.kafka.pid, cassandra: state.cassandra.pid };
    const stepOptions = { devices: o.devices, stepSeconds: o.stepSeconds, recordsPerPacket: o.recordsPerPacket, runDir, kafkaBrokers: state.kafka.brokers, serverPids, say, stopping: () => stopping };
    if (o.warmupSeconds > 0 && !stopping) await warmUp(supervisor, pipeline, o.rates[0]!, o.warmupSeconds, stepOptions);
    let idleCpuPerSecond: Record<string, number> | undefined;
    if (o.idleSeconds > 0) {
      say(`idle for ${o.idleSeconds} s: each process's CPU with nothing offered`);
      idleCpuPerSecond = await measureIdleCpu(supervisor, serverPids, o.idleSeconds);
    }
    const { steps, sustainable } = await runLadder(supervisor, pipeline, o.rates, { ...stepOptions, idleCpuPerSecond });
    const json = o.json ?? join(runDir, 'load.json');
    const svg = o.svg ?? join(runDir, 'load.svg');
    writeFileSync(json, `${JSON.stringify({ at: new Date().toISOString(), env: o.env, devices: o.devices, stepSeconds: o.stepSeconds, recordsPerPacket: o.recordsPerPacket, idleCpuPerSecond, sustainable, rssMbPerService: rssPerService(steps), steps }, null, 2)}\n`);
    writeFileSync(svg, loadChartSvg(steps, sustainable));
    process.stdout.write(`${renderLoadTable(steps, sustainable)}\n`);
    say(`results in ${json}, chart in ${svg}`);
  } catch (err) {
    say(`failed: ${(err as Error).message}`);
    code = 1;
  } finally {
    await supervisor.stopAll(15_000);
    if (started) await down();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return code;
}
