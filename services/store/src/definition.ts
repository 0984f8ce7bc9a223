import { packageVersion, type ServiceDefinition } from '@fleetstream/stream';
import { storeConfigSchema } from './config.ts';
import { createStoreService } from './service.ts';

/** The store as a service definition, for `main` and for tests (`startService(storeDefinition, { env })`). */
export const storeDefinition: ServiceDefinition<typeof storeConfigSchema> = {
  name: 'store',
  version: packageVersion(new URL('../package.json', import.meta.url)),
  schema: storeConfigSchema,
  create: (deps) => createStoreService(deps),
};
