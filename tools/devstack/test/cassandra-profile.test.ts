import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cassandraProfile, overloadYaml, prepareCassandra, type CassandraPlan } from '../src/cassandra.ts';
import { DevstackError } from '../src/errors.ts';

/** cassandra.yaml as prepareCassandra writes it for `profile`, as a map of its top-level `key: value` lines. */
function yamlFor(profile: CassandraPlan['profile']): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'devstack-profile-'));
  try {
    prepareCassandra({ lib: '/nowhere', dir, port: 1, storagePort: 2, jmxPort: 3, profile });
    const lines = readFileSync(join(dir, 'cassandra.yaml'), 'utf8').split('\n');
    return Object.fromEntries(lines.filter((l) => /^\w+: /.test(l)).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('FLEETSTREAM_CASSANDRA_PROFILE', () => {
  test('unset or blank, the devstack runs the default profile', () => {
    expect(cassandraProfile({})).toBe('default');
    expect(cassandraProfile({ FLEETSTREAM_CASSANDRA_PROFILE: ' ' })).toBe('default');
    expect(cassandraProfile({ FLEETSTREAM_CASSANDRA_PROFILE: 'overload' })).toBe('overload');
  });

  test('refuses another profile with DEVSTACK_INVALID_OPTION naming the variable', () => {
    expect(() => cassandraProfile({ FLEETSTREAM_CASSANDRA_PROFILE: 'slow' })).toThrow(DevstackError);
    expect(() => cassandraProfile({ FLEETSTREAM_CASSANDRA_PROFILE: 'slow' })).toThrow(/^FLEETSTREAM_CASSANDRA_PROFILE: must be default or overload/);
  });

  test('the overload profile writes few write threads and a short write timeout; the default keeps the fast node (batch commit log: synced before the ack, without a window)', () => {
    const overload = yamlFor('overload');
    const normal = yamlFor(undefined);
    expect(overload).toMatchObject({ ...overloadYaml, commitlog_sync: 'group' });
    expect(normal).toMatchObject({ concurrent_writes: '64', write_request_timeout: '5000ms', commitlog_sync: 'batch' });
    expect(normal).not.toHaveProperty('commitlog_sync_group_window');
  });
});
