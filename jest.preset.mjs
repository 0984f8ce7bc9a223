// Shared jest preset: every workspace's jest.config.mjs spreads it.
// Tests run as native ESM (NODE_OPTIONS=--experimental-vm-modules, set by the test script),
// TypeScript is stripped by @swc/jest, and the real servers come from tools/devstack once per run.
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));

/** @type {import('jest').Config} */
export const preset = {
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
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  globalSetup: `${root}tools/devstack/src/jest/global-setup.ts`,
  globalTeardown: `${root}tools/devstack/src/jest/global-teardown.ts`,
  testTimeout: 120_000,
  maxWorkers: 1,
  passWithNoTests: true,
  forceExit: true,
};
