/**
 * @fleetstream/gateway — devices (Teltonika TCP and UDP, HTTP JSON) -> telemetry.raw | telemetry.dlq.
 * Running this file starts the service from the environment.
 */
import { main, packageVersion, type ServiceDefinition } from '@fleetstream/stream';
import { gatewayConfigSchema } from './config.ts';
import { createGatewayService } from './service.ts';

export { createGatewayService } from './service.ts';
export type { GatewayService } from './service.ts';
export { gatewayConfigSchema } from './config.ts';
export type { GatewayConfig } from './config.ts';
export { RawHeaders, toRawRecord } from './raw-record.ts';
export { GatewayError, GatewayErrorCodes } from './errors.ts';
export { INGEST_PATH } from './http-ingest.ts';

/** The service definition (tests start it in-process with startService). */
export const gatewayDefinition: ServiceDefinition<typeof gatewayConfigSchema> = {
  name: 'gateway',
  version: packageVersion(new URL('../package.json', import.meta.url)),
  schema: gatewayConfigSchema,
  create: (deps) => createGatewayService(deps),
};

if (import.meta.main) main(gatewayDefinition);
