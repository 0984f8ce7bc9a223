/**
 * Writes schema/ingest-v1.schema.json from the zod definition in src/json-ingest.ts.
 * Run after changing the ingest format: `npm run schema` (test/json-ingest.test.ts fails while the
 * file and the code disagree).
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { ingestJsonSchema } from '../src/json-ingest.ts';

const target = fileURLToPath(new URL('../schema/ingest-v1.schema.json', import.meta.url));
const options = (await resolveConfig(target)) ?? {};
writeFileSync(
  target,
  await format(JSON.stringify(ingestJsonSchema()), { ...options, parser: 'json' }),
);
process.stdout.write(`wrote ${target}\n`);
