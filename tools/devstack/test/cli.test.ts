// @servers kafka cassandra
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

describe('devstack command', () => {
  test('status reports the running stack and env prints its endpoints', () => {
    const status = spawnSync(process.execPath, [cli, 'status'], { encoding: 'utf8' });
    const env = spawnSync(process.execPath, [cli, 'env'], { encoding: 'utf8' });
    if (process.env.FLEETSTREAM_TESTCONTAINERS === '1' || !status.stdout.startsWith('up')) {
      // External servers (KAFKA_BROKERS set by the user): the devstack itself is not running.
      expect(status.status).toBe(1);
      return;
    }
    expect(status.status).toBe(0);
    expect(env.stdout).toContain(`export KAFKA_BROKERS=${process.env.KAFKA_BROKERS}`);
  });

  test('up on a running stack says so and starts no second copy', () => {
    const before = spawnSync(process.execPath, [cli, 'status'], { encoding: 'utf8' });
    if (!before.stdout.startsWith('up')) return expect(before.status).toBe(1);
    const upAgain = spawnSync(process.execPath, [cli, 'up'], { encoding: 'utf8' });
    expect(upAgain.status).toBe(0);
    expect(upAgain.stdout).toContain('already up');
  });

  test('an unknown verb prints usage and exits 2', () => {
    const r = spawnSync(process.execPath, [cli, 'sideways'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('usage: devstack');
  });
});
