/**
 * @fleetstream/store — telemetry.enriched -> Cassandra | telemetry.dlq.
 * Running this file starts the service from the environment.
 */
import { main, packageVersion, type ServiceDefinition } from '@fleetstream/stream';
import { storeConfigSchema } from './config.ts';
import { createStoreService } from './service.ts';

export { createStoreService, storeConcurrencyOptions } from './service.ts';
export { storeConfigSchema } from './config.ts';
export type { StoreConfig } from './config.ts';

/** The service definition (tests start it in-process with startService). */
export const storeDefinition: ServiceDefinition<typeof storeConfigSchema> = {
  name: 'store',
  version: packageVersion(new URL('../package.json', import.meta.url)),
  schema: storeConfigSchema,
  create: (deps) => createStoreService(deps),
};

if (import.meta.main) main(storeDefinition);
