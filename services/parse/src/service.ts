import { createStage, exactlyOnceFromConfig, kafkaSink, type ConsumerRunner, type Service, type ServiceDeps } from '@fleetstream/stream';
import type { ParseConfig } from './config.ts';
import { parseTransform } from './transform.ts';

/**
 * parse: telemetry.raw -> telemetry.parsed | telemetry.dlq. At-least-once (eventIds make repeats
 * collapse), or exactly-once with EXACTLY_ONCE: outputs, dead letters and input offsets in one transaction.
 */
export function createParseService(deps: ServiceDeps<ParseConfig>): Service & { runner: ConsumerRunner } {
  const { config } = deps;
  const sink = kafkaSink(deps, { exactlyOnce: exactlyOnceFromConfig(deps.name, config) });
  return createStage(deps, { input: { topics: [config.INPUT_TOPIC] }, transform: parseTransform(config.OUTPUT_TOPIC), sink });
}
