import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import type { z } from 'zod';
import { loadConfig, type BaseConfig } from './config.ts';
import { ConfigError } from './errors.ts';
import { createLogger } from './logger.ts';
import { startTracing } from './tracing.ts';
import { createStreamMetrics, type StreamMetrics } from './metrics.ts';
import { startHealthServer, type HealthServer } from './health-server.ts';
import { createKafkajsClient } from './kafka/kafkajs-client.ts';
import type { KafkaClient, KafkaConnection } from './kafka/types.ts';

/** What a service's factory receives: everything is built here, once, and injected. */
export interface ServiceDeps<C extends BaseConfig = BaseConfig> {
  name: string;
  version: string;
  config: Readonly<C>;
  logger: Logger;
  registry: Registry;
  metrics: StreamMetrics;
  kafka: KafkaClient;
  health: HealthServer;
  /**
   * Stops the service for good because a part of it cannot work (bad credentials, a missing
   * table or topic): logs the reason, drains and stops, and the process exits 1 (see `main`).
   */
  fail: (err: unknown) => void;
}

/** A running service: started once, stopped once within a deadline (drain, commit, disconnect). */
export interface Service {
  start(): Promise<void>;
  stop(deadlineMs: number): Promise<void>;
}

export interface ServiceDefinition<S extends z.ZodObject> {
  name: string;
  version: string;
  schema: S;
  create: (deps: ServiceDeps<z.infer<S> & BaseConfig>) => Service | Promise<Service>;
}

/**
 * The Kafka connection described by the base config: TLS (KAFKA_SSL, with the CA of
 * KAFKA_SSL_CA_FILE when set) and SASL (KAFKA_SASL_*). Rules zod cannot see field by field are
 * checked here, as ConfigErrors naming the variable: SASL needs a username and a password, a CA
 * file must be readable and needs KAFKA_SSL=true. The password is never part of a message.
 */
export function kafkaConnection(config: BaseConfig, clientId: string): KafkaConnection {
  let sasl: KafkaConnection['sasl'];
  if (config.KAFKA_SASL_MECHANISM) {
    if (!config.KAFKA_SASL_USERNAME) throw new ConfigError('KAFKA_SASL_USERNAME', `is required when KAFKA_SASL_MECHANISM is set`);
    if (!config.KAFKA_SASL_PASSWORD) throw new ConfigError('KAFKA_SASL_PASSWORD', `is required when KAFKA_SASL_MECHANISM is set`);
    sasl = { mechanism: config.KAFKA_SASL_MECHANISM, username: config.KAFKA_SASL_USERNAME, password: config.KAFKA_SASL_PASSWORD };
  } else if (config.KAFKA_SASL_USERNAME || config.KAFKA_SASL_PASSWORD) {
    throw new ConfigError('KAFKA_SASL_MECHANISM', 'is required when KAFKA_SASL_USERNAME or KAFKA_SASL_PASSWORD is set (scram-sha-256, scram-sha-512 or plain)');
  }
  let ssl: KafkaConnection['ssl'] = false;
  if (config.KAFKA_SSL_CA_FILE && !config.KAFKA_SSL) throw new ConfigError('KAFKA_SSL_CA_FILE', 'is set but KAFKA_SSL is false (set KAFKA_SSL=true)');
  if (config.KAFKA_SSL) {
    const rejectUnauthorized = config.KAFKA_SSL_REJECT_UNAUTHORIZED;
    ssl = config.KAFKA_SSL_CA_FILE ? { rejectUnauthorized, ca: [readCaFile(config.KAFKA_SSL_CA_FILE)] } : rejectUnauthorized ? true : { rejectUnauthorized };
  }
  return { brokers: config.KAFKA_BROKERS, clientId: config.KAFKA_CLIENT_ID ?? clientId, ssl, sasl };
}

function readCaFile(file: string): string {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError('KAFKA_SSL_CA_FILE', `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}: ${file})`);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new ConfigError('KAFKA_SSL_CA_FILE', `must be a PEM certificate file (${file})`);
  return pem;
}

/**
 * The Kafka client a service of this config gets: the library KAFKA_CLIENT names, connected as
 * KAFKA_BROKERS, KAFKA_SSL* and KAFKA_SASL_* say (see {@link kafkaConnection}). startService builds
 * its client with it; tools and tests that must talk to Kafka as a service does call it too.
 * @platformatic/kafka is loaded only when chosen: importing it costs about 1 s and 40 MB at start,
 * which services on kafkajs should not pay.
 *
 * @example
 * const kafka = await createKafkaClient(loadConfig(baseConfigSchema), 'fleetstream-tool');
 */
export async function createKafkaClient(config: BaseConfig, clientId: string, logger?: Logger): Promise<KafkaClient> {
  const connection = kafkaConnection(config, clientId);
  if (config.KAFKA_CLIENT === 'platformatic') {
    const { createPlatformaticClient } = await import('./kafka/platformatic-client.ts');
    return createPlatformaticClient(connection, logger);
  }
  return createKafkajsClient(connection, logger);
}

/**
 * Builds a service's dependencies from the environment and starts it; the process is the
 * caller's (tests call this too, with their own env and `handleSignals: false`).
 */
export async function startService<S extends z.ZodObject>(
  def: ServiceDefinition<S>,
  options: { env?: NodeJS.ProcessEnv; handleSignals?: boolean; logDestination?: NodeJS.WritableStream } = {},
): Promise<{ deps: ServiceDeps<z.infer<S> & BaseConfig>; service: Service; shutdown: () => Promise<void>; failed: Promise<unknown> }> {
  const config = loadConfig(def.schema, options.env) as Readonly<z.infer<S> & BaseConfig>;
  // Before anything that may open a span; off (nothing loaded) without an OTLP endpoint.
  const tracing = await startTracing(config, def.name, def.version);
  const logger = createLogger({ service: def.name, version: def.version, level: config.LOG_LEVEL, destination: options.logDestination });
  const registry = new Registry();
  const metrics = createStreamMetrics(registry, def.name);
  const kafka = await createKafkaClient(config, `fleetstream-${def.name}`, logger);
  const health = await startHealthServer({ port: config.HEALTH_PORT, registry });
  let reportFailure: (err: unknown) => void = () => undefined;
  // Resolves (with the error) once a fatal failure stopped the service; never settles otherwise.
  const failed = new Promise<unknown>((resolve) => (reportFailure = resolve));
  let failing = false;
  const fail = (err: unknown) => {
    if (failing) return;
    failing = true;
    logger.fatal({ err }, `stopping: ${err instanceof Error ? err.message : String(err)}`);
    void shutdown()
      .catch((stopErr: unknown) => logger.error({ err: stopErr }, 'shutdown after a fatal error failed'))
      .then(() => reportFailure(err));
  };
  const deps: ServiceDeps<z.infer<S> & BaseConfig> = { name: def.name, version: def.version, config, logger, registry, metrics, kafka, health, fail };
  const service = await def.create(deps);
  let stopping: Promise<void> | undefined;
  const shutdown = () =>
    (stopping ??= (async () => {
      const t0 = Date.now();
      logger.info({ deadlineMs: config.SHUTDOWN_TIMEOUT_MS }, 'stopping: draining in-flight work');
      try {
        await service.stop(config.SHUTDOWN_TIMEOUT_MS);
      } finally {
        await health.close();
        // The spans of the drain too; within what is left of the grace period (the forced exit is 2 s after it).
        await tracing.shutdown(Math.max(1_000, config.SHUTDOWN_TIMEOUT_MS - (Date.now() - t0)));
        logger.info({ ms: Date.now() - t0 }, 'stopped');
        logger.flush();
      }
    })());
  if (options.handleSignals !== false) {
    const onSignal = (signal: NodeJS.Signals) => {
      logger.info({ signal }, 'signal received');
      const force = setTimeout(() => {
        logger.error({ deadlineMs: config.SHUTDOWN_TIMEOUT_MS }, 'shutdown deadline passed; exiting');
        logger.flush();
        process.exit(1);
      }, config.SHUTDOWN_TIMEOUT_MS + 2_000);
      force.unref();
      shutdown().then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          logger.flush();
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }
  try {
    await service.start();
  } catch (err) {
    logger.error({ err }, 'start failed');
    await shutdown().catch(() => undefined);
    throw err;
  }
  logger.info({ healthPort: health.port }, 'started');
  return { deps, service, shutdown, failed };
}

/**
 * The whole of a service's index.ts (`if (import.meta.main) main(definition)`): start it, and turn
 * a bad config into one line on stderr (the variable and the rule) with exit code 2 and no stack
 * trace; a failed start, or a fatal failure later (the sink cannot work), into one line and exit 1.
 */
export function main<S extends z.ZodObject>(def: ServiceDefinition<S>): void {
  const exit = (code: number, line: string) => {
    process.stderr.write(`${def.name}: ${line}\n`);
    process.exit(code);
  };
  const message = (err: unknown) => (err instanceof Error ? err.message : String(err));
  startService(def).then(
    ({ failed }) => void failed.then((err) => exit(1, `stopped: ${message(err)}`)),
    (err: unknown) => (err instanceof ConfigError ? exit(2, `invalid configuration: ${message(err)}`) : exit(1, `failed to start: ${message(err)}`)),
  );
}

/** The version field of a workspace's package.json. */
export function packageVersion(packageJsonUrl: URL): string {
  return (JSON.parse(readFileSync(packageJsonUrl, 'utf8')) as { version: string }).version;
}
