import { down } from '../stack.ts';
import { stopContainers } from './containers.ts';

/** Stops only what globalSetup started. */
export default async function globalTeardown(): Promise<void> {
  await stopContainers();
  if (process.env.FLEETSTREAM_DEVSTACK_OWNED === '1') {
    delete process.env.FLEETSTREAM_DEVSTACK_OWNED;
    await down();
  }
}
