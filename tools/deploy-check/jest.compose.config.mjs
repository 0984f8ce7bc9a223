import { standaloneConfig } from '../../jest.preset.mjs';

// The compose test (npm run compose:test): the whole stack in containers, started by the test
// itself through scripts/compose/local.sh. Not part of `npm test` (it needs root and minutes).
export default standaloneConfig(import.meta.url, {
  testMatch: ['<rootDir>/compose-test/**/*.test.ts'],
  testTimeout: 600_000,
});
