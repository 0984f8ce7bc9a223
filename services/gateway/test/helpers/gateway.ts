import { startService } from '@fleetstream/stream';
import { expectSuiteKafkaClient, suiteKafkaClientEnv } from '@fleetstream/test-kit';
import { gatewayDefinition, type GatewayService } from '../../src/index.ts';
import { brokers } from './kafka.ts';

/** Starts a gateway in-process on random ports; `env` overrides the defaults. */
export async function startGateway(env: Record<string, string>) {
  const started = await startService(gatewayDefinition, {
    env: {
      KAFKA_BROKERS: brokers().join(','),
      ...suiteKafkaClientEnv(),
      HEALTH_PORT: '0',
      GATEWAY_TCP_PORT: '0',
      GATEWAY_HTTP_PORT: '0',
      GATEWAY_UDP_PORT: '0',
      GATEWAY_HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      SHUTDOWN_TIMEOUT_MS: '5000',
      ...env,
    },
    handleSignals: false,
  });
  expectSuiteKafkaClient(started.deps.kafka.name);
  const gateway = started.service as GatewayService;
  const metric = async (name: string, labels: Record<string, string>): Promise<number> => {
    const m = started.deps.registry.getSingleMetric(name);
    if (!m) return 0;
    const { values } = await m.get();
    const hit = values.find((v) => Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want));
    return hit?.value ?? 0;
  };
  const readyz = async () => (await fetch(`http://127.0.0.1:${started.deps.health.port}/readyz`)).status;
  /** Polls until the gateway reports ready (the first probe runs at start). */
  const untilReady = async (want = 200, timeoutMs = 15_000) => {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      if ((await readyz()) === want) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`/readyz never became ${want}`);
  };
  return { ...started, gateway, metric, readyz, untilReady };
}
