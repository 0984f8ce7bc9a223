import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { kafkaVersion, kafkaMajor, DEFAULT_KAFKA_VERSION } from '../src/versions.ts';
import { repoRoot } from '../src/paths.ts';
import { DevstackError } from '../src/errors.ts';

describe('FLEETSTREAM_KAFKA_VERSION', () => {
  test('unset or blank, the devstack runs the default version', () => {
    expect(kafkaVersion({})).toBe(DEFAULT_KAFKA_VERSION);
    expect(kafkaVersion({ FLEETSTREAM_KAFKA_VERSION: '  ' })).toBe(DEFAULT_KAFKA_VERSION);
  });

  test.each(['3.9.1', '3.9.0', '4.0.1', '4.1.1', '4.4.0'])('accepts %s', (version) => {
    expect(kafkaVersion({ FLEETSTREAM_KAFKA_VERSION: version })).toBe(version);
  });

  test.each(['3.8.1', '2.8.2', 'latest', '4.4', '5.0.0', '4.4.0;rm'])('refuses %s with DEVSTACK_INVALID_OPTION naming the variable', (version) => {
    let error: unknown;
    try {
      kafkaVersion({ FLEETSTREAM_KAFKA_VERSION: version });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(DevstackError);
    expect((error as DevstackError).code).toBe('DEVSTACK_INVALID_OPTION');
    expect((error as DevstackError).message).toMatch(/^FLEETSTREAM_KAFKA_VERSION: /);
  });

  test('the major line picks the logging backend: 3.9 is 3, every 4.x is 4', () => {
    expect(kafkaMajor('3.9.1')).toBe(3);
    expect(kafkaMajor('4.0.1')).toBe(4);
    expect(kafkaMajor('4.4.0')).toBe(4);
  });

  test.each([
    ['docker-compose.yml', /image: \$\{KAFKA_IMAGE:-apache\/kafka:([^}]+)\}/],
    ['deploy/local/images.env', /^KAFKA_IMAGE=fleetstream-local\/kafka:(\S+)$/m],
    ['k8s/overlays/local/kustomization.yaml', /- name: apache\/kafka\n\s+newTag: "([^"]+)"/],
  ])("%s's Kafka is the devstack's default", (file, pattern) => {
    // Act
    const version = pattern.exec(readFileSync(join(repoRoot, file), 'utf8'))?.[1];

    // Assess
    expect(version).toBe(DEFAULT_KAFKA_VERSION);
  });
});
