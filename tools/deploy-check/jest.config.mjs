import { preset } from '../../jest.preset.mjs';

// The deploy checks read files only: no Kafka or Cassandra, so no devstack for this workspace.
export default { ...preset, globalSetup: undefined, globalTeardown: undefined };
