import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (tools/devstack/src -> ../../..). */
export const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');

/** Cache for downloaded jars and the provided Node: survives `down`, shared by clones. */
export const cacheDir = process.env.FLEETSTREAM_CACHE ?? join(homedir(), '.cache', 'fleetstream');

/** The running stack's data: configs, server data, logs and state.json. Removed on `down`. */
export const dataDir = process.env.FLEETSTREAM_DEVSTACK_DIR ?? join(repoRoot, '.devstack');

export const stateFile = join(dataDir, 'state.json');

export const mavenDir = join(repoRoot, 'tools', 'devstack', 'maven');
