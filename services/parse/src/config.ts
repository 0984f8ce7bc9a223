import { z } from 'zod';
import { baseConfigShape, consumerConfigShape, env } from '@fleetstream/stream';

/** parse's environment: the runtime's variables plus its two topics. */
export const parseConfigSchema = z.object({
  ...baseConfigShape,
  ...consumerConfigShape,
  INPUT_TOPIC: env.str('telemetry.raw'),
  OUTPUT_TOPIC: env.str('telemetry.parsed'),
});

export type ParseConfig = z.infer<typeof parseConfigSchema>;
