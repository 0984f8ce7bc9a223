import { z } from 'zod';
import { baseConfigShape, consumerConfigShape, env, exactlyOnceConfigShape } from '@fleetstream/stream';

/** parse's environment: the runtime's variables plus its two topics. */
export const parseConfigSchema = z.object({
  ...baseConfigShape,
  ...consumerConfigShape,
  ...exactlyOnceConfigShape,
  INPUT_TOPIC: env.str('telemetry.raw'),
  OUTPUT_TOPIC: env.str('telemetry.parsed'),
});

export type ParseConfig = z.infer<typeof parseConfigSchema>;
