// The repo's unit layer in one run: `npm run test:unit` (or `npx jest` here) runs every
// workspace's tests that need no server, without starting the devstack. `npm test` runs
// each workspace's own config (unit and integration) through turbo.
import { repoUnitConfig } from './jest.preset.mjs';

export default repoUnitConfig();
