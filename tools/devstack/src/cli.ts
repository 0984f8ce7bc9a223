#!/usr/bin/env node
/**
 * devstack up | down | status | env | run
 *   up      start Kafka and Cassandra in the background (says so when already up)
 *   down    stop them and remove the data folder
 *   status  print whether the stack runs and where it listens (exit 1 when down)
 *   env     print `export KAFKA_BROKERS=... CASSANDRA_CONTACT_POINTS=...` for a running stack
 *   run     start in the foreground; Ctrl-C stops it and removes the data folder
 *   up --cassandra-profile overload   a Cassandra that answers WriteTimeout under load (2 write threads,
 *                                     300 ms write timeout; FLEETSTREAM_CASSANDRA_PROFILE=overload does the same)
 *   restart kafka|cassandra [--kill] [--down-ms N]   stop one server (kill -9 with --kill) and start it on the same data
 *   up|down|status|env --secure   the same for the secure stack (Kafka SASL_SSL + SCRAM-SHA-512, Cassandra
 *                                 PasswordAuthenticator + TLS) on ports 29092/29042 in .cache/devstack-secure,
 *                                 beside the default one; `env --secure` reads the password from a file, never prints it
 */
import { DevstackError } from './errors.ts';
import { dataDir } from './paths.ts';
import { down, endpointsOf, restart, status, up } from './stack.ts';
import { defaultSecureDataDir, downSecure, passwordFileOf, secureEnv, secureStatus, upSecure } from './secure.ts';

const say = (msg: string) => process.stdout.write(`${msg}\n`);

async function secureMain(verb: string | undefined): Promise<number> {
  const dir = defaultSecureDataDir;
  switch (verb) {
    case 'up': {
      const t0 = Date.now();
      const { state, started } = await upSecure({ dataDir: dir, detached: true });
      say(started ? `secure devstack up in ${((Date.now() - t0) / 1000).toFixed(1)} s` : 'secure devstack is already up; nothing started');
      say(`  Kafka ${state.kafka!.version}      ${state.kafka!.brokers}  SASL_SSL, SCRAM-SHA-512, user ${state.credentials.username}`);
      say(`  Cassandra ${state.cassandra!.version}  ${state.cassandra!.contactPoints}  TLS, PasswordAuthenticator, user ${state.credentials.username}`);
      say(`  CA ${state.caFile}; password in ${passwordFileOf(dir)}; \`devstack env --secure\` prints the exports`);
      return 0;
    }
    case 'down':
      await downSecure(dir);
      say('secure devstack down');
      return 0;
    case 'status': {
      const s = secureStatus(dir);
      say(s.status === 'up' ? `up since ${s.state.startedAt} (${dir})` : s.status === 'stale' ? `stale (${s.reason})` : 'down');
      return s.status === 'up' ? 0 : 1;
    }
    case 'env': {
      const s = secureStatus(dir);
      if (s.status !== 'up') throw new DevstackError('DEVSTACK_NOT_READY', 'the secure devstack is not up: run `devstack up --secure` first');
      for (const [k, v] of Object.entries(secureEnv(s.state))) {
        say(k.endsWith('_PASSWORD') ? `export ${k}="$(cat ${passwordFileOf(dir)})"` : `export ${k}=${v}`);
      }
      return 0;
    }
    default:
      process.stderr.write('usage: devstack up | down | status | env --secure\n');
      return 2;
  }
}

async function main(verb: string | undefined, args: string[]): Promise<number> {
  if (args.includes('--secure')) return secureMain(verb);
  switch (verb) {
    case 'restart': {
      const server = args[0];
      if (server !== 'kafka' && server !== 'cassandra') {
        process.stderr.write('usage: devstack restart kafka|cassandra [--kill] [--down-ms N]\n');
        return 2;
      }
      const i = args.indexOf('--down-ms');
      const downMs = i >= 0 ? Number(args[i + 1]) : 0;
      const t0 = Date.now();
      await restart(server, { signal: args.includes('--kill') ? 'SIGKILL' : 'SIGTERM', downMs });
      say(`${server} restarted in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      return 0;
    }
    case 'up': {
      const t0 = Date.now();
      const profileAt = args.indexOf('--cassandra-profile');
      if (profileAt >= 0) process.env.FLEETSTREAM_CASSANDRA_PROFILE = args[profileAt + 1] ?? '';
      // Ctrl-C while starting: stop what was started instead of leaving it behind.
      const interrupted = () => void down().finally(() => process.exit(130));
      process.once('SIGINT', interrupted);
      process.once('SIGTERM', interrupted);
      const { state, started } = await up({ detached: true });
      say(started ? `devstack up in ${((Date.now() - t0) / 1000).toFixed(1)} s` : 'devstack is already up; nothing started');
      say(`  Kafka ${state.kafka.version}      ${state.kafka.brokers}  (pid ${state.kafka.pid})`);
      say(`  Cassandra ${state.cassandra.version}  ${state.cassandra.contactPoints}  (pid ${state.cassandra.pid}, profile ${state.plans.cassandra.profile ?? 'default'})`);
      say(`  data and logs in ${state.dataDir}`);
      return 0;
    }
    case 'down': {
      await down();
      say('devstack down');
      return 0;
    }
    case 'status': {
      const s = status();
      if (s.status === 'up') {
        say(`up since ${s.state.startedAt}: Kafka ${s.state.kafka.brokers}, Cassandra ${s.state.cassandra.contactPoints} (${dataDir})`);
        return 0;
      }
      say(s.status === 'stale' ? `stale (${s.reason}); the next \`up\` cleans it` : 'down');
      return 1;
    }
    case 'env': {
      const s = status();
      if (s.status !== 'up') throw new DevstackError('DEVSTACK_NOT_READY', 'devstack is not up: run `npm run devstack:up` first');
      for (const [k, v] of Object.entries(endpointsOf(s.state))) say(`export ${k}=${v}`);
      return 0;
    }
    case 'run': {
      const { state, started } = await up({ detached: false });
      say(`Kafka ${state.kafka.brokers}, Cassandra ${state.cassandra.contactPoints}; Ctrl-C stops`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      if (started) await down();
      return 0;
    }
    default:
      process.stderr.write('usage: devstack up | down | status | env | run | restart kafka|cassandra\n');
      return 2;
  }
}

main(process.argv[2], process.argv.slice(3)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const msg = err instanceof DevstackError ? `devstack: ${err.message}` : `devstack: ${(err as Error).stack ?? String(err)}`;
    process.stderr.write(`${msg}\n`);
    process.exit(1);
  },
);
