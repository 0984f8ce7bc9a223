import { main, packageVersion } from '@fleetstream/stream';
import { parseConfigSchema } from './config.ts';
import { createParseService } from './service.ts';

export { createParseService } from './service.ts';
export { parseConfigSchema } from './config.ts';
export { parseTransform, decodeRaw, RawHeaders } from './transform.ts';

if (import.meta.main) {
  main({ name: 'parse', version: packageVersion(new URL('../package.json', import.meta.url)), schema: parseConfigSchema, create: createParseService });
}
