import { z } from 'zod';
import { baseConfigShape, consumerConfigShape, env, exactlyOnceConfigShape } from '@fleetstream/stream';

/**
 * parse's environment: the runtime's variables plus its two topics. Its chunks are larger than the
 * runtime's default (5,000 records, 20,000 in flight): a raw packet is small and its work is CPU,
 * so the per-chunk costs (one acks=all produce, metrics, a heartbeat timer, a round trip of
 * latency) are spread over ten times more records — measured in bench/parse-cost.ts (issue #21).
 */
export const parseConfigSchema = z.object({
  ...baseConfigShape,
  ...consumerConfigShape,
  MAX_RECORDS_PER_BATCH: env.int(5_000, { min: 1, max: 100_000 }),
  MAX_IN_FLIGHT: env.int(20_000, { min: 1 }),
  ...exactlyOnceConfigShape,
  INPUT_TOPIC: env.str('telemetry.raw'),
  OUTPUT_TOPIC: env.str('telemetry.parsed'),
});

export type ParseConfig = z.infer<typeof parseConfigSchema>;
