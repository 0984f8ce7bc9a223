import { createKafkaStageService, type ServiceDeps, type Service } from '@fleetstream/stream';
import type { ParseConfig } from './config.ts';
import { parseTransform } from './transform.ts';

/** parse: telemetry.raw -> telemetry.parsed | telemetry.dlq (at-least-once; eventIds make repeats collapse). */
export function createParseService(deps: ServiceDeps<ParseConfig>): Service {
  return createKafkaStageService(deps, { inputTopics: [deps.config.INPUT_TOPIC], transform: parseTransform(deps.config.OUTPUT_TOPIC) });
}
