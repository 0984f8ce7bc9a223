import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, mavenDir } from './paths.ts';
import { DevstackError } from './errors.ts';
import { kafkaMajor } from './versions.ts';

/** Fails with a one-line error when a required command is not on PATH. */
export function requireCommand(command: 'java' | 'mvn'): void {
  const probe = spawnSync(command, ['-version'], { stdio: 'ignore' });
  if (probe.error) {
    throw command === 'java'
      ? new DevstackError('DEVSTACK_JAVA_MISSING', 'java not found on PATH: install Java 17 or newer (e.g. apt-get install openjdk-17-jre-headless)')
      : new DevstackError('DEVSTACK_MAVEN_MISSING', 'mvn not found on PATH: install Apache Maven (e.g. apt-get install maven)');
  }
}

/**
 * Resolves a server's jars into `<cache>/<name>-<version>/lib` with Maven (once; later runs are
 * offline) and returns that folder. The pom lists dependencies only.
 */
export function resolveJars(name: 'kafka' | 'cassandra', version: string): string {
  // The Kafka pom takes its version and major line (which picks the logging backend) as properties.
  const properties = name === 'kafka' ? [`-Dkafka.version=${version}`, `-Dkafka.major=${kafkaMajor(version)}`] : [];
  const lib = join(cacheDir, `${name}-${version}`, 'lib');
  const marker = join(lib, '.complete');
  if (existsSync(marker) && readdirSync(lib).length > 1) return lib;
  requireCommand('mvn');
  mkdirSync(lib, { recursive: true });
  process.stderr.write(`[devstack] resolving ${name} ${version} jars with Maven into ${lib}\n`);
  const result = spawnSync(
    'mvn',
    ['-B', '-q', '-f', join(mavenDir, `${name}.pom.xml`), 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${lib}`, ...properties],
    { encoding: 'utf8' },
  );
  if (result.status !== 0) {
    const tail = `${result.stdout}\n${result.stderr}`.trim().split('\n').slice(-5).join(' | ');
    throw new DevstackError('DEVSTACK_MAVEN_FAILED', `Maven could not resolve ${name} ${version}: ${tail}`);
  }
  writeFileSync(marker, new Date().toISOString());
  return lib;
}
