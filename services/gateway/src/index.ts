import { main, packageVersion } from '@fleetstream/stream';
import { gatewayConfigSchema } from './config.ts';
import { createGatewayService } from './service.ts';

export { createGatewayService } from './service.ts';
export type { GatewayService } from './service.ts';
export { gatewayConfigSchema } from './config.ts';
export type { GatewayConfig } from './config.ts';
export { RawHeaders, toRawRecord } from './raw-record.ts';
export { GatewayError, GatewayErrorCodes } from './errors.ts';
export { INGEST_PATH } from './http-ingest.ts';

/** The gateway's service definition (tests start it in-process with startService). */
export const gatewayDefinition = {
  name: 'gateway',
  version: packageVersion(new URL('../package.json', import.meta.url)),
  schema: gatewayConfigSchema,
  create: createGatewayService,
};

if (import.meta.main) main(gatewayDefinition);
