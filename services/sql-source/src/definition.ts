import { packageVersion } from '@fleetstream/stream';
import { sqlSourceConfigSchema } from './config.ts';
import { createSqlSourceService } from './service.ts';

/** The service definition: index.ts runs it with main(); tests start it with startService(sqlSource, { env }). */
export const sqlSource = {
  name: 'sql-source',
  version: packageVersion(new URL('../package.json', import.meta.url)),
  schema: sqlSourceConfigSchema,
  create: (deps: Parameters<typeof createSqlSourceService>[0]) => createSqlSourceService(deps),
};
