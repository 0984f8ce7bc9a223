/**
 * @fleetstream/enrich — telemetry.parsed + reference.assets -> telemetry.enriched | telemetry.dlq.
 * Running this file starts the service from the environment.
 */
import { main, packageVersion, type ServiceDefinition } from '@fleetstream/stream';
import { enrichConfigSchema } from './config.ts';
import { createEnrichService } from './service.ts';

export { createEnrichService } from './service.ts';
export type { EnrichService } from './service.ts';
export { enrichConfigSchema } from './config.ts';
export type { EnrichConfig } from './config.ts';
export { EnrichError, EnrichErrorCodes } from './errors.ts';
export type { EnrichErrorCode } from './errors.ts';

/** The service definition (tests start it in-process with startService). */
export const enrichDefinition: ServiceDefinition<typeof enrichConfigSchema> = {
  name: 'enrich',
  version: packageVersion(new URL('../package.json', import.meta.url)),
  schema: enrichConfigSchema,
  create: (deps) => createEnrichService(deps),
};

if (import.meta.main) main(enrichDefinition);
