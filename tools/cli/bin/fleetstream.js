#!/usr/bin/env node
// The fleetstream command. Node >= 22.18 runs the TypeScript sources directly (type stripping).
// On an older Node (the machines' Node 20), it runs itself again under the Node 24 that
// `npm test` / `npm run demo` / `npm run setup` provided in the cache folder.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  const cache = process.env.FLEETSTREAM_CACHE ?? join(homedir(), '.cache', 'fleetstream');
  const provided = existsSync(cache) ? readdirSync(cache).filter((d) => /^node-v2[4-9]\./.test(d)).sort().pop() : undefined;
  if (!provided) {
    process.stderr.write(`fleetstream: needs Node >= 22.18 (this is ${process.version}); run \`npm run setup\` once to provide Node 24\n`);
    process.exit(1);
  }
  const r = spawnSync(join(cache, provided, 'bin', 'node'), [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
await import('../src/main.ts');
