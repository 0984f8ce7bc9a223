import { createLogger, packageVersion } from '@fleetstream/stream';
import { createTraceCollector, type TraceCollector } from './collector.ts';
import { loadCollectorConfig } from './config.ts';
import { CollectorError } from './errors.ts';

/** Starts the collector from the environment and closes it on SIGTERM/SIGINT (exit 0). */
export async function runCollector(env: NodeJS.ProcessEnv = process.env): Promise<TraceCollector> {
  const config = loadCollectorConfig(env);
  const logger = createLogger({ service: 'trace-collector', version: packageVersion(new URL('../package.json', import.meta.url)), level: config.logLevel });
  const collector = await createTraceCollector({ ...config, logger });
  logger.info({ healthPort: collector.port, endpoint: `/v1/traces`, maxTraces: config.maxTraces }, 'started');
  const onSignal = () => {
    collector.close().then(
      () => logger.flush(() => process.exit(0)),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  return collector;
}

/** The process entry: bad config -> one line on stderr, exit 2. */
export function main(): void {
  runCollector().catch((err: unknown) => {
    if (err instanceof CollectorError && err.code === 'TRACE_COLLECTOR_CONFIG_INVALID') {
      process.stderr.write(`trace-collector: invalid configuration: ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`trace-collector: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
