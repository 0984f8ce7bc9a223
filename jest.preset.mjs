// Shared jest configuration: every workspace's jest.config.mjs is `workspaceConfig(import.meta.url)`,
// and the root jest.config.mjs gathers every workspace's unit tests.
// Tests run as native ESM (NODE_OPTIONS=--experimental-vm-modules, set by the test scripts) and
// TypeScript is stripped by @swc/jest.
//
// Two projects per workspace:
//   - unit: test files that need no server. No devstack is started, and Kafka, Cassandra and
//     PostgreSQL addresses point at a closed port, so a test that needs a server and does not say
//     so fails instead of quietly using whatever runs on this machine.
//   - integration: test files whose header comment says `@servers` (e.g. `@servers kafka cassandra`).
//     Their project's globalSetup gives the run its real servers (tools/devstack/src/jest), and jest
//     runs a project's globalSetup only when at least one of its files is selected.
// `jest --selectProjects unit` (the `test:unit` scripts) therefore never starts a JVM.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));

/** What every project of every workspace shares. */
const project = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2023' },
        module: { type: 'es6' },
        sourceMaps: 'inline',
      },
    ],
  },
};

/** Options of the whole run (jest reads them from the top-level config only). */
const run = {
  testTimeout: 120_000,
  maxWorkers: 1,
  passWithNoTests: true,
  forceExit: true,
};

/** A line of the file's comments that says the file needs the real servers. */
const NEEDS_SERVERS = /^\s*(?:\*|\/\/)\s*@servers\b/m;

/** The test files of a workspace (test/**\/*.test.ts), split by whether they say `@servers`. */
export function testFiles(workspaceDir) {
  const unit = [];
  const integration = [];
  const walk = (dir) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path);
      else if (e.name.endsWith('.test.ts'))
        (NEEDS_SERVERS.test(readFileSync(path, 'utf8')) ? integration : unit).push(path);
    }
  };
  walk(join(workspaceDir, 'test'));
  return { unit, integration };
}

// jest treats testMatch entries as globs: escape what a path could hold. A project with no file
// gets a pattern that matches nothing (an empty testMatch would mean jest's default).
const asGlobs = (files) =>
  files.length === 0
    ? ['<rootDir>/.no-test-files']
    : files.map((f) => f.replace(/[()[\]{}*?!+@]/g, '\\$&'));

/** The unit project: no server, and server addresses that refuse. */
export function unitProject(rootDir, files) {
  return {
    ...project,
    displayName: 'unit',
    rootDir,
    testMatch: asGlobs(files),
    setupFiles: [`${root}tools/devstack/src/jest/no-servers.ts`],
  };
}

/** The integration project: the devstack (or the servers the environment names) for the run. */
export function integrationProject(rootDir, files) {
  return {
    ...project,
    displayName: 'integration',
    rootDir,
    testMatch: asGlobs(files),
    globalSetup: `${root}tools/devstack/src/jest/global-setup.ts`,
    globalTeardown: `${root}tools/devstack/src/jest/global-teardown.ts`,
  };
}

/**
 * A config for tests that bring up their own servers (the compose test starts the whole stack in
 * containers): the shared options, no devstack, the test files and timeout the caller names.
 */
export function standaloneConfig(configUrl, options) {
  return { ...run, ...project, rootDir: fileURLToPath(new URL('.', configUrl)), ...options };
}

/** A workspace's jest config: `export default workspaceConfig(import.meta.url)` in its jest.config.mjs. */
export function workspaceConfig(configUrl) {
  const dir = fileURLToPath(new URL('.', configUrl));
  const { unit, integration } = testFiles(dir);
  return { ...run, projects: [unitProject(dir, unit), integrationProject(dir, integration)] };
}

/** Every workspace's unit tests in one project (the root jest.config.mjs): the repo's unit layer. */
export function repoUnitConfig() {
  const workspaces = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).workspaces;
  const dirs = workspaces.flatMap((pattern) => {
    const parent = join(root, pattern.replace(/\/\*$/, ''));
    return readdirSync(parent, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => join(parent, e.name));
  });
  return {
    ...run,
    projects: [
      unitProject(
        root,
        dirs.flatMap((d) => testFiles(d).unit),
      ),
    ],
  };
}
