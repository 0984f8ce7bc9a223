import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { baseConfigSchema, ConfigError, kafkaConnection, loadConfig } from '../src/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'fleetstream-kafka-connection-'));
const caFile = join(dir, 'ca.pem');
writeFileSync(caFile, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
const notPem = join(dir, 'not-a-cert.txt');
writeFileSync(notPem, 'hello');

const connectionOf = (env: Record<string, string>) => kafkaConnection(loadConfig(baseConfigSchema, { KAFKA_BROKERS: '127.0.0.1:9093', ...env }), 'fleetstream-test');

describe('kafkaConnection turns the validated KAFKA_* config into kafkajs TLS and SASL options', () => {
  test('KAFKA_SSL with a CA file and SCRAM-SHA-512 credentials give ssl { ca } and sasl', () => {
    // Act
    const c = connectionOf({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: caFile, KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'fleetstream', KAFKA_SASL_PASSWORD: 'pw-123' });

    // Assess
    expect(c).toEqual({
      brokers: ['127.0.0.1:9093'],
      clientId: 'fleetstream-test',
      ssl: { rejectUnauthorized: true, ca: ['-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'] },
      sasl: { mechanism: 'scram-sha-512', username: 'fleetstream', password: 'pw-123' },
    });
  });

  test.each([
    [{}, false],
    [{ KAFKA_SSL: 'true' }, true],
    [{ KAFKA_SSL: 'true', KAFKA_SSL_REJECT_UNAUTHORIZED: 'false' }, { rejectUnauthorized: false }],
  ])('%j gives ssl %j', (env, ssl) => {
    // Act
    const c = connectionOf(env as Record<string, string>);

    // Assess
    expect(c.ssl).toEqual(ssl);
    expect(c.sasl).toBeUndefined();
  });

  test.each([
    ['KAFKA_SASL_USERNAME', { KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_PASSWORD: 'secret-pw-1' }],
    ['KAFKA_SASL_PASSWORD', { KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'fleetstream' }],
    ['KAFKA_SASL_MECHANISM', { KAFKA_SASL_USERNAME: 'fleetstream', KAFKA_SASL_PASSWORD: 'secret-pw-1' }],
    ['KAFKA_SSL_CA_FILE', { KAFKA_SSL_CA_FILE: caFile }],
    ['KAFKA_SSL_CA_FILE', { KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: join(dir, 'missing.pem') }],
    ['KAFKA_SSL_CA_FILE', { KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: notPem }],
    ['KAFKA_SSL_REJECT_UNAUTHORIZED', { KAFKA_SSL: 'true', KAFKA_SSL_REJECT_UNAUTHORIZED: 'sometimes' }],
  ])('a ConfigError names %s and never the password', (variable, env) => {
    // Act
    let error: unknown;
    try {
      connectionOf(env);
    } catch (err) {
      error = err;
    }

    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(variable);
    expect((error as ConfigError).code).toBe('STREAM_CONFIG_INVALID');
    expect((error as ConfigError).message).not.toContain('secret-pw-1');
  });
});
