/**
 * @fleetstream/sql-source — a SQL table, polled by position -> reference.assets (+ its checkpoint).
 * Running this file starts the service from the environment (`--from-start` re-reads the table).
 */
import { main, packageVersion, type ServiceDefinition } from '@fleetstream/stream';
import { sqlSourceConfigSchema } from './config.ts';
import { createSqlSourceService } from './service.ts';

export { createSqlSourceService } from './service.ts';
export { sqlSourceConfigSchema } from './config.ts';
export type { SqlSourceConfig } from './config.ts';
export { SqlSourceError, SqlSourceErrorCodes } from './errors.ts';
export type { SqlSourceErrorCode } from './errors.ts';

/** The service definition (tests start it in-process with startService). */
export const sqlSourceDefinition: ServiceDefinition<typeof sqlSourceConfigSchema> = {
  name: 'sql-source',
  version: packageVersion(new URL('../package.json', import.meta.url)),
  schema: sqlSourceConfigSchema,
  create: (deps) => createSqlSourceService(deps),
};

if (import.meta.main) main(sqlSourceDefinition);
