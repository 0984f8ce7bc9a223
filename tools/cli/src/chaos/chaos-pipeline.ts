import { join } from 'node:path';
import { ENRICHED_EVENT_SCHEMA_VERSIONS } from '@fleetstream/telemetry';
import type { ProcessSpec, Supervised, Supervisor } from '../demo/supervisor.ts';

const repo = new URL('../../../../', import.meta.url).pathname;

/** Fixed ports of a chaos run, apart from the demo's (19471-19475, 18090, 15027, 18080) so both can run side by side. */
export const CHAOS_PORTS = {
  sqlSource: 19481, parse: 19482, enrich: 19483, store: 19484, gateway: 19485, stub: 18091, tcp: 15028, http: 18081,
  /** Health ports of the extra instances of a scale fault, two per service. */
  extra: { parse: [19486, 19487], store: [19488, 19489] },
} as const;

export type ServiceName = 'asset-api-stub' | 'sql-source' | 'parse' | 'enrich' | 'store' | 'gateway';

/** The run's names: topics under a fresh prefix, consumer groups, keyspace, asset table. */
export interface RunNames {
  prefix: string;
  keyspace: string;
  assetTable: string;
  topics: { raw: string; parsed: string; enriched: string; dlq: string; assets: string; checkpoints: string };
  groups: { parse: string; enrich: string; store: string };
}

export function runNames(id: string): RunNames {
  const prefix = `chaos-${id}-`;
  return {
    prefix,
    keyspace: `chaos_${id}`,
    assetTable: `fleetstream_chaos_assets_${id}`,
    topics: {
      raw: `${prefix}telemetry.raw`,
      parsed: `${prefix}telemetry.parsed`,
      enriched: `${prefix}telemetry.enriched`,
      dlq: `${prefix}telemetry.dlq`,
      assets: `${prefix}reference.assets`,
      checkpoints: `${prefix}sql-source.checkpoints`,
    },
    groups: { parse: `${prefix}parse`, enrich: `${prefix}enrich`, store: `${prefix}store` },
  };
}

export interface RestartRecord {
  service: string;
  code: number | null;
  signal: string | null;
  at: number;
}

/**
 * The pipeline of a chaos run as supervised processes, each service on the run's own topics,
 * groups and keyspace. Faults go through it (kill, stop, start, scale); a process that exits when
 * no fault asked for it is restarted, as an orchestrator would, and recorded in `unplanned`.
 */
export class ChaosPipeline {
  readonly #supervisor: Supervisor;
  readonly #specs = new Map<string, ProcessSpec>();
  readonly #current = new Map<string, Supervised>();
  readonly #intended = new WeakSet<Supervised>();
  /** Processes that became ready once (one dying during start is retried by start(), not by the watch). */
  readonly #wasReady = new WeakSet<Supervised>();
  readonly #say: (msg: string) => void;
  #stopping = false;
  #stopped!: () => void;
  /** Resolves when stopAll began: waits between faults end then. */
  readonly stopped = new Promise<void>((resolve) => (this.#stopped = resolve));
  /** Per service, the end of the last exclusive operation (faults on one service run one at a time). */
  readonly #busy = new Map<string, Promise<unknown>>();
  readonly unplanned: RestartRecord[] = [];
  readonly names: RunNames;
  readonly token = 'chaos-token';

  /** `kafkaClient`: KAFKA_CLIENT of the services (unset: their default, kafkajs). */
  constructor(supervisor: Supervisor, o: { names: RunNames; kafkaBrokers: string; kafkaClient?: string; cassandraContactPoints: string; pgUrl: string; say: (msg: string) => void }) {
    this.#supervisor = supervisor;
    this.#say = o.say;
    this.names = o.names;
    const t = o.names.topics;
    const common = { KAFKA_BROKERS: o.kafkaBrokers, LOG_LEVEL: 'info', SHUTDOWN_TIMEOUT_MS: '10000', ...(o.kafkaClient ? { KAFKA_CLIENT: o.kafkaClient } : {}) };
    const p = CHAOS_PORTS;
    const specs: ProcessSpec[] = [
      { name: 'asset-api-stub', script: join(repo, 'tools/asset-api-stub/src/index.ts'), env: { PORT: String(p.stub), LATENCY_MS: '5' }, healthPort: p.stub, readyPath: '/healthz' },
      {
        name: 'sql-source',
        script: join(repo, 'services/sql-source/src/index.ts'),
        env: {
          // On the run's client like the others (chaos-platformatic.test.ts kills and stops it on
          // platformatic). No SQL_FROM_START: the source name and checkpoint topic are the run's own,
          // so the first start reads the table from its beginning anyway, and a restart after a
          // fault resumes from its checkpoint (with it, every restart re-sent the whole table).
          ...common, HEALTH_PORT: String(p.sqlSource), SQL_DIALECT: 'postgres', SQL_URL: o.pgUrl, SQL_TABLE: o.names.assetTable, SQL_MODE: 'xid', SQL_DELETED_COLUMN: 'deleted',
          SOURCE_NAME: `${o.names.prefix}assets`, OUTPUT_TOPIC: t.assets, CHECKPOINT_TOPIC: t.checkpoints, SQL_DELAY_MS: '500', POLL_INTERVAL_MS: '250',
        },
        healthPort: p.sqlSource,
      },
      { name: 'parse', script: join(repo, 'services/parse/src/index.ts'), env: { ...common, HEALTH_PORT: String(p.parse), INPUT_TOPIC: t.raw, OUTPUT_TOPIC: t.parsed, DLQ_TOPIC: t.dlq, CONSUMER_GROUP: o.names.groups.parse }, healthPort: p.parse },
      {
        name: 'enrich',
        script: join(repo, 'services/enrich/src/index.ts'),
        env: {
          ...common, HEALTH_PORT: String(p.enrich), INPUT_TOPIC: t.parsed, OUTPUT_TOPIC: t.enriched, REFERENCE_TOPIC: t.assets, DLQ_TOPIC: t.dlq, CONSUMER_GROUP: o.names.groups.enrich,
          ASSET_API_URL: `http://127.0.0.1:${p.stub}`, ENRICHED_SCHEMA_VERSION: '1',
        },
        healthPort: p.enrich,
      },
      {
        name: 'store',
        script: join(repo, 'services/store/src/index.ts'),
        env: { ...common, HEALTH_PORT: String(p.store), INPUT_TOPIC: t.enriched, DLQ_TOPIC: t.dlq, CONSUMER_GROUP: o.names.groups.store, CASSANDRA_CONTACT_POINTS: o.cassandraContactPoints, CASSANDRA_KEYSPACE: o.names.keyspace },
        healthPort: p.store,
      },
      {
        name: 'gateway',
        script: join(repo, 'services/gateway/src/index.ts'),
        env: { ...common, HEALTH_PORT: String(p.gateway), RAW_TOPIC: t.raw, DLQ_TOPIC: t.dlq, GATEWAY_TCP_PORT: String(p.tcp), GATEWAY_HTTP_PORT: String(p.http), GATEWAY_UDP_ENABLED: 'false', GATEWAY_TOKENS: this.token },
        healthPort: p.gateway,
      },
    ];
    for (const s of specs) this.#specs.set(s.name, s);
  }

  /** Service names in start order. */
  get services(): string[] {
    return [...this.#specs.keys()];
  }

  /** Starts every process in order, each waited for on /readyz. */
  async startAll(): Promise<void> {
    for (const name of this.#specs.keys()) {
      await this.start(name);
      this.#say(`${name} ready`);
    }
  }

  /** Starts (or starts again) one process and waits until it is ready; retried when it dies during start. */
  async start(name: string, timeoutMs = 120_000): Promise<void> {
    const spec = this.#specs.get(name);
    if (!spec) throw new Error(`no process ${name}`);
    for (let attempt = 1; ; attempt++) {
      if (this.#stopping) throw new Error(`not starting ${name}: the run is stopping`);
      const s = this.#supervisor.start(spec);
      this.#current.set(name, s);
      this.#watch(name, s);
      try {
        await this.#supervisor.ready(s, timeoutMs);
        this.#wasReady.add(s);
        return;
      } catch (err) {
        if (attempt >= 3 || this.#stopping) throw err;
        this.#say(`${name} did not start (${(err as Error).message}); trying again`);
        this.#intended.add(s);
        s.child.kill('SIGKILL');
        await s.exited;
        await new Promise((r) => setTimeout(r, 2_000));
      }
    }
  }

  /** Runs `fn` once no other exclusive operation on `name` is running (a deploy and a kill of one service never interleave). */
  async exclusive<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const before = this.#busy.get(name) ?? Promise.resolve();
    const run = before.catch(() => undefined).then(fn);
    this.#busy.set(name, run);
    return run;
  }

  /**
   * The schema-change deploy: enrich is stopped (SIGTERM: it drains and commits) and started again
   * writing the next enriched schema version; later restarts keep it. The store already reads every
   * version, as a reader must before its writers switch. Returns [from, to].
   */
  async upgradeEnrichedSchema(): Promise<[number, number]> {
    const spec = this.#specs.get('enrich')!;
    const from = Number(spec.env.ENRICHED_SCHEMA_VERSION ?? 1);
    const to = from + 1;
    if (!(ENRICHED_EVENT_SCHEMA_VERSIONS as readonly number[]).includes(to)) throw new Error(`enrich already writes the newest enriched schema version (${from})`);
    return this.exclusive('enrich', async () => {
      this.#specs.set('enrich', { ...spec, env: { ...spec.env, ENRICHED_SCHEMA_VERSION: String(to) } });
      await this.stop('enrich', 'SIGTERM');
      await this.start('enrich');
      return [from, to];
    });
  }

  /** Sends `signal` to the process and waits for its exit (SIGTERM: its drain deadline, then SIGKILL). */
  async stop(name: string, signal: 'SIGKILL' | 'SIGTERM'): Promise<void> {
    const s = this.#current.get(name);
    if (!s || s.child.exitCode !== null || s.child.signalCode !== null) return;
    this.#intended.add(s);
    s.child.kill(signal);
    const timer = setTimeout(() => s.child.kill('SIGKILL'), 30_000);
    await s.exited;
    clearTimeout(timer);
  }

  /** Starts extra instances of a consumer service (same group: a rebalance); returns their names. */
  async scaleOut(name: 'parse' | 'store'): Promise<string[]> {
    const spec = this.#specs.get(name)!;
    const names: string[] = [];
    const ports = CHAOS_PORTS.extra[name];
    await Promise.all(
      ports.map(async (port, i) => {
        const extra = `${name}-${i + 2}`;
        this.#specs.set(extra, { ...spec, name: extra, env: { ...spec.env, HEALTH_PORT: String(port) }, healthPort: port });
        names.push(extra);
        await this.start(extra);
      }),
    );
    return names;
  }

  /** Stops the extra instances (SIGTERM: they drain and leave the group: another rebalance). */
  async scaleIn(extras: string[]): Promise<void> {
    await Promise.all(extras.map((n) => this.stop(n, 'SIGTERM')));
    for (const n of extras) {
      this.#specs.delete(n);
      this.#current.delete(n);
    }
  }

  /** True once stopAll began (faults not started yet are skipped). */
  get stopping(): boolean {
    return this.#stopping;
  }

  async stopAll(): Promise<void> {
    this.#stopping = true;
    this.#stopped();
    for (const s of this.#current.values()) this.#intended.add(s);
    await this.#supervisor.stopAll(15_000);
  }

  #watch(name: string, s: Supervised): void {
    void s.exited.then(async (code) => {
      if (this.#intended.has(s) || !this.#wasReady.has(s) || this.#stopping || this.#current.get(name) !== s) return;
      this.unplanned.push({ service: name, code, signal: s.child.signalCode, at: Date.now() });
      this.#say(`${name} exited unasked (code ${code}, signal ${s.child.signalCode}); restarting it`);
      await new Promise((r) => setTimeout(r, 1_000));
      if (this.#stopping || !this.#specs.has(name)) return;
      await this.start(name).catch((err: unknown) => this.#say(`${name} restart failed: ${(err as Error).message}`));
    });
  }
}
