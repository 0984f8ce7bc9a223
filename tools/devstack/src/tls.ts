import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DevstackError } from './errors.ts';

/** The TLS files of a secure stack, all inside its data folder. */
export interface TlsMaterial {
  /** PKCS12 keystore with the server key and its chain (Kafka's ssl.keystore, Cassandra's keystore). */
  keystore: string;
  /** PKCS12 truststore with the CA only (the broker's own inter-broker client). */
  truststore: string;
  /** The CA certificate as PEM, for Node clients (`ssl: { ca: [pem] }`). */
  caFile: string;
  /** Password of both stores (random; written nowhere but the data folder's state). */
  storePassword: string;
}

/** The names the server certificate answers to; Node checks the IP SAN when connecting to 127.0.0.1. */
const SAN = 'SAN=IP:127.0.0.1,DNS:localhost';

function keytool(args: string[], what: string): void {
  const r = spawnSync('keytool', args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    // keytool's output never echoes -storepass; the message names the step only.
    const detail = r.error ? r.error.message : (r.stderr || r.stdout).trim().split('\n').slice(-2).join(' | ');
    throw new DevstackError('DEVSTACK_EXITED', `keytool failed to ${what}: ${detail}`);
  }
}

/**
 * Generates a self-signed CA and a server certificate signed by it (valid for 127.0.0.1 and
 * localhost, 30 days) with Java's keytool into `<dir>`: the server keystore, a truststore and
 * the CA as PEM. Takes a few seconds (one JVM per step).
 */
export function generateTls(dir: string, storePassword: string): TlsMaterial {
  mkdirSync(dir, { recursive: true });
  const ca = join(dir, 'ca.p12');
  const caFile = join(dir, 'ca.pem');
  const keystore = join(dir, 'server.p12');
  const truststore = join(dir, 'truststore.p12');
  const csr = join(dir, 'server.csr');
  const crt = join(dir, 'server.crt');
  const store = (file: string) => ['-keystore', file, '-storetype', 'PKCS12', '-storepass', storePassword];
  const key = ['-keyalg', 'RSA', '-keysize', '2048', '-validity', '30'];
  keytool(['-genkeypair', '-alias', 'ca', ...key, '-dname', 'CN=fleetstream devstack CA', '-ext', 'bc:c', ...store(ca)], 'create the CA');
  keytool(['-exportcert', '-alias', 'ca', '-rfc', '-file', caFile, ...store(ca)], 'export the CA');
  keytool(['-genkeypair', '-alias', 'server', ...key, '-dname', 'CN=127.0.0.1', '-ext', SAN, ...store(keystore)], 'create the server key');
  keytool(['-certreq', '-alias', 'server', '-file', csr, ...store(keystore)], 'write the certificate request');
  keytool(
    ['-gencert', '-alias', 'ca', '-infile', csr, '-outfile', crt, '-rfc', '-validity', '30', '-ext', SAN, '-ext', 'ku:c=digitalSignature,keyEncipherment', '-ext', 'eku=serverAuth,clientAuth', ...store(ca)],
    'sign the server certificate',
  );
  keytool(['-importcert', '-noprompt', '-alias', 'ca', '-file', caFile, ...store(keystore)], 'import the CA into the keystore');
  keytool(['-importcert', '-alias', 'server', '-file', crt, ...store(keystore)], 'import the signed certificate');
  keytool(['-importcert', '-noprompt', '-alias', 'ca', '-file', caFile, ...store(truststore)], 'create the truststore');
  for (const f of [ca, keystore, truststore]) chmodSync(f, 0o600);
  return { keystore, truststore, caFile, storePassword };
}
