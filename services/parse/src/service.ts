import { createStage, kafkaSink, type ConsumerRunner, type Service, type ServiceDeps } from '@fleetstream/stream';
import type { ParseConfig } from './config.ts';
import { parseTransform } from './transform.ts';

/** parse: telemetry.raw -> telemetry.parsed | telemetry.dlq (at-least-once; eventIds make repeats collapse). */
export function createParseService(deps: ServiceDeps<ParseConfig>): Service & { runner: ConsumerRunner } {
  const { config } = deps;
  return createStage(deps, { input: { topics: [config.INPUT_TOPIC] }, transform: parseTransform(config.OUTPUT_TOPIC), sink: kafkaSink(deps) });
}
