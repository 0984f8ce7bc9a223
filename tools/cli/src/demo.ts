/**
 * `fleetstream demo [--duration S] [--devices N] [--rate R] [--json FILE]`: the README's first
 * command. Starts the devstack, applies the topology, seeds a PostgreSQL asset table, starts every
 * service (sql-source, parse, enrich, store, gateway) and the asset API stub as separate
 * processes, drives them with the simulator over real TCP, and shows a live view built from the
 * services' /metrics. Ctrl-C (or the end of --duration) stops everything cleanly.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { down, up } from '@fleetstream/devstack';
import { Supervisor } from './demo/supervisor.ts';
import { DEMO_ASSET_TABLE } from './demo/seed-assets.ts';
import { startPipeline, startSimulator } from './demo/pipeline.ts';
import { pipelineView, renderView, scrape, type PipelineView, type Snapshot } from './demo/view.ts';
import { createTraceCollector, type TraceCollector } from '@fleetstream/trace-collector';
import { renderTrace, sampleTrace, type SampleTrace } from './demo/trace-view.ts';

const repo = new URL('../../../', import.meta.url).pathname;

export async function runDemo(args: string[]): Promise<number> {
  let o: { duration?: string; devices?: string; rate?: string; json?: string };
  try {
    o = parseArgs({ args, options: { duration: { type: 'string' }, devices: { type: 'string' }, rate: { type: 'string' }, json: { type: 'string' } } }).values;
  } catch (err) {
    process.stderr.write(`fleetstream demo: ${(err as Error).message}\nusage: fleetstream demo [--duration S] [--devices N] [--rate R] [--json FILE]\n`);
    return 2;
  }
  const duration = Number(o.duration ?? 0);
  const devices = Number(o.devices ?? 50);
  const rate = Number(o.rate ?? 25);
  if (![duration, devices, rate].every((v) => Number.isFinite(v) && v >= 0)) {
    process.stderr.write('fleetstream demo: --duration, --devices and --rate take numbers >= 0\n');
    return 2;
  }
  const say = (msg: string) => process.stderr.write(`[demo] ${msg}\n`);
  let stopping = false;
  let wake: () => void = () => undefined;
  const onSignal = () => {
    stopping = true;
    wake();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  say('starting the devstack (Kafka + Cassandra)');
  const { state, started } = await up({ detached: true });
  say(`Kafka ${state.kafka.brokers}, Cassandra ${state.cassandra.contactPoints}`);
  const runDir = join(repo, 'runs', `demo-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  const supervisor = new Supervisor(runDir);
  const pgUrl = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  let summary: (PipelineView & { seconds: number; simulator?: unknown; sampleTrace?: SampleTrace }) | undefined;
  let code = 0;
  // The services export their spans (OTLP/HTTP, the standard OTEL_* variables) to a trace
  // collector in this process: the end of the demo shows one trace's hops without a tracing backend.
  let collector: TraceCollector | undefined;
  try {
    collector = await createTraceCollector({ port: 0, host: '127.0.0.1', summaryIdleMs: 0 });
    say(`traces: ${collector.endpoint}/api/traces (OTLP/HTTP receiver in the demo)`);
    say('applying the topology, seeding the asset register, starting the services');
    const pipeline = await startPipeline(supervisor, {
      kafkaBrokers: state.kafka.brokers,
      cassandraContactPoints: state.cassandra.contactPoints,
      pgUrl,
      devices,
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint, OTEL_BSP_SCHEDULE_DELAY: '1000' },
      onReady: (name) => say(`${name} ready`),
      stopping: () => stopping,
    });
    say(`asset register: PostgreSQL table ${DEMO_ASSET_TABLE}; logs in ${runDir}`);
    const simFile = join(runDir, 'simulator.json');
    const sim = startSimulator(supervisor, pipeline, { devices, rate, duration: duration > 0 ? duration : 86_400, jsonFile: simFile, kafkaBrokers: state.kafka.brokers });
    say(`simulator: ${devices} devices, ${rate} packets/s over TCP and HTTP`);

    const metricPorts = pipeline.metricPorts;
    const t0 = Date.now();
    const history: Snapshot[] = [await scrape(metricPorts)];
    let view: PipelineView | undefined;
    const tty = process.stdout.isTTY;
    let simDone = false;
    void sim.exited.then(() => (simDone = true));
    while (!stopping) {
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, 1000);
      });
      const cur = await scrape(metricPorts);
      history.push(cur);
      if (history.length > 6) history.shift();
      view = pipelineView(history[0]!, cur);
      const elapsed = (Date.now() - t0) / 1000;
      const text = renderView(view, `running ${elapsed.toFixed(0)} s${duration > 0 ? ` of ${duration} s` : ''}; logs in ${runDir}`);
      if (tty) process.stdout.write(`\x1b[2J\x1b[H${text}\n`);
      else if (Math.round(elapsed) % 5 === 0) process.stdout.write(`${text}\n\n`);
      if (duration > 0 && simDone) {
        // let the pipeline drain what the simulator sent, then stop
        const lag = view.rows.reduce((a, r) => a + r.lag, 0);
        if (lag === 0 || elapsed > duration + 60) break;
      }
    }
    const seconds = (Date.now() - t0) / 1000;
    const final = await scrape(metricPorts);
    view = pipelineView(history[0]!, final);
    let simulator: unknown;
    try {
      simulator = JSON.parse((await import('node:fs')).readFileSync(simFile, 'utf8'));
    } catch {
      simulator = undefined;
    }
    summary = { ...view, seconds, simulator };
    process.stdout.write(`${renderView(view, `stopped after ${seconds.toFixed(0)} s`)}\n`);
  } catch (err) {
    say(`failed: ${(err as Error).message}`);
    code = 1;
  } finally {
    say('stopping services');
    await supervisor.stopAll(15_000);
    // The services flushed their last spans on SIGTERM.
    const sample = collector && sampleTrace(collector.store);
    if (sample) {
      if (summary) summary.sampleTrace = sample;
      process.stdout.write(`\n${renderTrace(sample)}(all traces of the run were at ${collector!.endpoint}/api/traces while it ran)\n`);
    }
    await collector?.close();
    if (started) {
      say('stopping the devstack');
      await down();
    }
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (o.json && summary) writeFileSync(o.json, JSON.stringify(summary, null, 2));
  say('demo stopped');
  return code;
}
