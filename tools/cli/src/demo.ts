import { up, down } from '@fleetstream/devstack';

/**
 * `fleetstream demo`: the README's first command. Starts the devstack and says where Kafka and
 * Cassandra listen; Ctrl-C stops everything and removes the data folder.
 */
export async function runDemo(_args: string[]): Promise<number> {
  const { state, started } = await up({ detached: false });
  process.stdout.write(
    `fleetstream demo\n  Kafka      ${state.kafka.brokers}\n  Cassandra  ${state.cassandra.contactPoints}\nCtrl-C stops.\n`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  if (started) await down();
  process.stdout.write('demo stopped\n');
  return 0;
}
