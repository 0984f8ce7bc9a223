/**
 * @fleetstream/parse — telemetry.raw -> telemetry.parsed | telemetry.dlq.
 * Running this file starts the service from the environment.
 */
import { main, packageVersion, type ServiceDefinition } from '@fleetstream/stream';
import { parseConfigSchema } from './config.ts';
import { createParseService } from './service.ts';

export { createParseService } from './service.ts';
export { parseConfigSchema } from './config.ts';
export { parseTransform, decodeRaw, RawHeaders } from './transform.ts';

/** The service definition (tests start it in-process with startService). */
export const parseDefinition: ServiceDefinition<typeof parseConfigSchema> = {
  name: 'parse',
  version: packageVersion(new URL('../package.json', import.meta.url)),
  schema: parseConfigSchema,
  create: (deps) => createParseService(deps),
};

if (import.meta.main) main(parseDefinition);
