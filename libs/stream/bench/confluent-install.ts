/**
 * Installs @confluentinc/kafka-javascript on demand into a cache folder (never into the workspace:
 * `npm ci` must keep working on a machine that cannot reach GitHub, and CI never runs the bench).
 *
 * Why not a plain (optional) dependency: its install script fetches a prebuilt librdkafka binding
 * from GitHub releases and, when that fails, builds from source with `--install-deps
 * --source-deps-only`, which downloads zlib, OpenSSL, zstd and curl sources (zlib.net, github.com,
 * curl.se). Offline both fail. The npm tarball bundles librdkafka's own sources, and with
 * CKJS_LINKING=dynamic its configure step uses the system's OpenSSL and zlib instead (libssl-dev,
 * zlib1g-dev), so it builds offline with gcc/g++/make in about 4 minutes on 2 cores.
 *
 * `node bench/confluent-install.ts` installs it; the bench calls `ensureConfluent()` itself.
 * FLEETSTREAM_CONFLUENT_DIR overrides the cache folder; BENCH_CONFLUENT=0 skips the client.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadConfluentModule, type ConfluentModule } from './confluent-client.ts';

export const CONFLUENT_VERSION = '1.10.1';

export const confluentDir = (): string => process.env.FLEETSTREAM_CONFLUENT_DIR ?? join(homedir(), '.cache', 'fleetstream', `confluent-kafka-javascript-${CONFLUENT_VERSION}`);

/** The module from the cache folder, built there first when missing; undefined (with the reason) when it cannot be. */
export function ensureConfluent(options: { install?: boolean } = {}): { module?: ConfluentModule; reason?: string } {
  if (process.env.BENCH_CONFLUENT === '0') return { reason: 'skipped (BENCH_CONFLUENT=0)' };
  const dir = confluentDir();
  const loaded = loadConfluentModule(dir);
  if (loaded) return { module: loaded };
  if (options.install === false) return { reason: `not installed in ${dir} (run node libs/stream/bench/confluent-install.ts)` };
  mkdirSync(dir, { recursive: true });
  if (!existsSync(join(dir, 'package.json'))) writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'fleetstream-confluent-cache', private: true }, null, 2));
  // node-gyp needs the running Node's headers; the provided Node carries them in include/node.
  const nodeDir = dirname(dirname(process.execPath));
  const env: NodeJS.ProcessEnv = { ...process.env, CKJS_LINKING: 'dynamic', npm_config_build_from_source: 'true' };
  if (existsSync(join(nodeDir, 'include', 'node', 'node.h'))) env.npm_config_nodedir = nodeDir;
  console.error(`building @confluentinc/kafka-javascript@${CONFLUENT_VERSION} from source into ${dir} (librdkafka, a few minutes)...`);
  const res = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--save-exact', `@confluentinc/kafka-javascript@${CONFLUENT_VERSION}`], { cwd: dir, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const module = res.status === 0 ? loadConfluentModule(dir) : undefined;
  if (module) return { module };
  const tail = `${res.stdout ?? ''}\n${res.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
  return { reason: `npm install in ${dir} exited ${res.status}: ${tail}` };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { module, reason } = ensureConfluent();
  if (module) console.log(`@confluentinc/kafka-javascript ready (librdkafka ${module.librdkafkaVersion}) in ${confluentDir()}`);
  else {
    console.error(reason);
    process.exit(1);
  }
}
