/**
 * `fleetstream chaos --events N [--seed S] [--json FILE] [--faults LIST]`: proves docs/architecture.md's
 * delivery promise. Starts the pipeline on the devstack (each service a separate process, on a
 * fresh topic prefix and keyspace), feeds N events through the gateway (TCP and HTTP) while the
 * asset register changes and a few inputs are made bad on purpose, injects faults on a seeded
 * schedule, waits until every stage drained, then reconciles: every acknowledged event must be a
 * Cassandra row or a DLQ record, and DLQ records may only come from the inputs made bad on purpose.
 * Exit codes: 0 nothing lost or unexplained, 1 a failed run, 2 bad input.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { up, down } from '@fleetstream/devstack';
import { createSimulator, createRng, type Summary } from '@fleetstream/simulator';
import { createCassandraClient } from '@fleetstream/store/lib';
import { createKafkajsClient, DLQ_TOPIC } from '@fleetstream/stream';
import { Supervisor } from './demo/supervisor.ts';
import { IMEI_BASE } from './demo/pipeline.ts';
import { CHAOS_USAGE, ChaosUsageError, parseChaosArgs, type ChaosOptions } from './chaos/options.ts';
import { CHAOS_PORTS, ChaosPipeline, runNames } from './chaos/chaos-pipeline.ts';
import { dropChaosAssets, readRegister, seedChaosAssets, startAssetChanges } from './chaos/assets.ts';
import { AckLedger } from './chaos/ledger.ts';
import { postInvalidHttp, produceBadRecords } from './chaos/bad-inputs.ts';
import { runFaults, scheduleFaults, type FaultRecord } from './chaos/faults.ts';
import { waitDrained } from './chaos/drain.ts';
import { countRows, readRunTopics, registerGaps } from './chaos/reconcile.ts';
import { renderChaosTable, type ChaosResult } from './chaos/result.ts';

const repo = new URL('../../../', import.meta.url).pathname;

/** Entry of the verb; returns the exit code. */
export async function runChaos(args: string[]): Promise<number> {
  let o: ChaosOptions;
  try {
    o = parseChaosArgs(args);
  } catch (err) {
    if (!(err instanceof ChaosUsageError)) throw err;
    process.stderr.write(`fleetstream chaos: ${err.message}\n${CHAOS_USAGE}\n`);
    return 2;
  }
  const say = (msg: string) => process.stderr.write(`[chaos] ${msg}\n`);
  const t0 = Date.now();
  const { state, started } = await up({ detached: true });
  const brokers = state.kafka.brokers;
  const contactPoints = state.cassandra.contactPoints;
  const pgUrl = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  // The services' Kafka client (libs/stream's KAFKA_CLIENT, validated by each service at start).
  const kafkaClient = process.env.KAFKA_CLIENT || undefined;
  const id = randomBytes(4).toString('hex');
  const names = runNames(id);
  const runDir = join(repo, 'runs', `chaos-${new Date().toISOString().replace(/[:.]/g, '-')}-${id}`);
  say(`run ${id}: Kafka ${brokers} (services on ${kafkaClient ?? 'kafkajs'}), Cassandra ${contactPoints}, topics ${names.prefix}*, keyspace ${names.keyspace}, logs in ${runDir}`);
  const supervisor = new Supervisor(runDir);
  const pipeline = new ChaosPipeline(supervisor, { names, kafkaBrokers: brokers, kafkaClient, cassandraContactPoints: contactPoints, pgUrl, say });
  const kafka = createKafkajsClient({ brokers: brokers.split(','), clientId: 'fleetstream-chaos', requestTimeoutMs: 30_000 });
  const admin = kafka.admin();
  const producer = kafka.producer();
  const cql = createCassandraClient({ contactPoints: contactPoints.split(','), localDataCenter: process.env.CASSANDRA_LOCAL_DC ?? 'datacenter1' });
  let result: ChaosResult | undefined;
  let code: number;
  let faultsRun: Promise<unknown> | undefined;
  // One cleanup for the normal end and for Ctrl-C / SIGTERM (whichever comes first; a second
  // signal waits for the same one): the services run in their own process groups and the devstack
  // detached, so nothing of theirs ends with this process unless stopped here.
  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    (cleaning ??= (async () => {
      say('stopping services');
      await pipeline.stopAll();
      // A fault under way ends first (one restarting a server has then written its new pid where down() reads it); no new one starts.
      await faultsRun?.catch(() => undefined);
      await producer.disconnect().catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
      if (!o.keep) {
        await cql.execute(`DROP KEYSPACE IF EXISTS ${names.keyspace}`).catch(() => undefined);
        await dropChaosAssets(pgUrl, names.assetTable).catch(() => undefined);
      }
      await cql.shutdown().catch(() => undefined);
      if (started) await down();
    })());
  const onSignal = (signal: NodeJS.Signals) => {
    say(`${signal}: stopping services${started ? ' and the devstack this run started' : ''}`);
    void cleanup().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    // Topics under the run's prefix and the run's keyspace. Dead letters go to the run's DLQ topic; the shared one is read too (filtered by source topic) in case a stage ignores DLQ_TOPIC.
    // apply is idempotent: a fresh topic's metadata may lag behind its creation, so try again.
    for (let attempt = 1; ; attempt++) {
      const topo = spawnSync(process.execPath, [join(repo, 'tools/cli/bin/fleetstream.js'), 'topology', 'apply', '--topic-prefix', names.prefix], {
        env: { ...process.env, KAFKA_BROKERS: brokers, CASSANDRA_CONTACT_POINTS: contactPoints, CASSANDRA_KEYSPACE: names.keyspace },
        encoding: 'utf8',
      });
      if (topo.status === 0) break;
      if (attempt >= 4) throw new Error(`topology apply failed: ${topo.stderr.trim()}`);
      await new Promise((r) => setTimeout(r, 1_000));
    }
    await admin.connect();
    if (!(await admin.listTopics()).includes(DLQ_TOPIC)) {
      await admin.createTopics([{ topic: DLQ_TOPIC, numPartitions: 12, replicationFactor: 1 }]).catch(() => undefined);
    }
    await producer.connect();
    const seeded = await seedChaosAssets(pgUrl, names.assetTable, { imeiBase: IMEI_BASE, devices: o.devices });
    say(`asset register ${names.assetTable}: ${seeded} rows; starting the services`);
    await pipeline.startAll();

    const rng = createRng(o.seed * 2_654_435_761);
    const perPacket = o.events >= o.devices * 5 ? 5 : 1;
    const packetsPerDevice = Math.max(1, Math.ceil(o.events / (o.devices * perPacket)));
    const rate = (o.devices * packetsPerDevice) / o.feedSeconds;
    const ledger = new AckLedger();
    const simulator = createSimulator({
      devices: o.devices, mode: 'steady', rate, packetsPerDevice, recordsPerPacket: perPacket, seed: o.seed, imeiBase: IMEI_BASE,
      tcp: `127.0.0.1:${CHAOS_PORTS.tcp}`, http: `http://127.0.0.1:${CHAOS_PORTS.http}`, token: pipeline.token,
      ackTimeoutMs: 10_000, maxAttempts: 500, live: false, onDelivery: ledger.onDelivery,
    });
    const schedule = scheduleFaults(o.faults, o.feedSeconds * 1000 * 0.85, rng);
    say(`feeding ${o.devices * packetsPerDevice * perPacket} events from ${o.devices} devices over ~${o.feedSeconds} s; ${schedule.length} faults`);
    const feedStart = Date.now();
    const stopAssets = startAssetChanges(pgUrl, names.assetTable, rng, 200, (err) => say(`asset change failed: ${err.message}`));
    const progress = setInterval(() => say(`${((Date.now() - feedStart) / 1000).toFixed(0)} s: ${ledger.distinct} events acked`), 10_000);
    // Bad inputs at a quarter, half and three quarters of the feed: raw records that must reach the DLQ, HTTP bodies that must get 400.
    let badProduced = 0;
    let httpRejected = 0;
    let httpAccepted = 0;
    const bad = (async () => {
      for (const q of [0.25, 0.5, 0.75]) {
        await new Promise((r) => setTimeout(r, Math.max(0, feedStart + q * o.feedSeconds * 1000 - Date.now())));
        for (let attempt = 0; ; attempt++) {
          try {
            badProduced += await produceBadRecords(producer, names.topics.raw, 4, badProduced);
            break;
          } catch (err) {
            if (attempt >= 30) throw err;
            await new Promise((r) => setTimeout(r, 2_000));
          }
        }
        for (let i = 0; i < 2; i++) {
          const status = await postInvalidHttp(`http://127.0.0.1:${CHAOS_PORTS.http}`, pipeline.token, httpRejected + httpAccepted).catch(() => 0);
          if (status === 400) httpRejected += 1;
          else if (status >= 200 && status < 300) httpAccepted += 1;
        }
      }
    })();
    faultsRun = runFaults(pipeline, schedule, feedStart, say);
    const [summary, faults] = await Promise.all([simulator.run(), faultsRun, bad]).then(([s, f]) => [s, f] as [Summary, FaultRecord[]]);
    clearInterval(progress);
    const assetChanges = await stopAssets();
    const feedSeconds = (Date.now() - feedStart) / 1000;
    say(`feed over after ${feedSeconds.toFixed(0)} s: ${ledger.distinct} distinct events acked (${summary.resent} resends, ${summary.failed} packets given up); waiting for the pipeline to drain`);
    const drainStart = Date.now();
    const lags = await waitDrained(
      admin,
      [
        { name: 'parse', groupId: names.groups.parse, topic: names.topics.raw },
        { name: 'enrich', groupId: names.groups.enrich, topic: names.topics.parsed },
        { name: 'store', groupId: names.groups.store, topic: names.topics.enriched },
      ],
      { timeoutMs: Math.max(300_000, o.events * 2), onLag: (l) => Date.now() - drainStart > 5_000 && say(`lag ${JSON.stringify(l)}`) },
    );
    say(`drained after ${((Date.now() - drainStart) / 1000).toFixed(0)} s; reconciling`);
    // The SQL source polls with a delay: give it up to a minute to bring the register's last changes.
    const register = await readRegister(pgUrl, names.assetTable);
    let assetGaps = await registerGaps(kafka, admin, names.topics.assets, register);
    for (const until = Date.now() + 60_000; assetGaps.length > 0 && Date.now() < until; ) {
      await new Promise((r) => setTimeout(r, 2_000));
      assetGaps = await registerGaps(kafka, admin, names.topics.assets, register);
    }
    if (assetGaps.length > 0) say(`reference.assets disagrees with the register for ${assetGaps.length} device(s), e.g. ${assetGaps.slice(0, 5).join(', ')}`);
    await cql.connect();
    const { counts, dlq } = await readRunTopics(kafka, admin, names, DLQ_TOPIC);
    const { rows, foreignRows, repeatedRows, found, bySchemaVersion } = await countRows(cql, names.keyspace, ledger);
    let lost = 0;
    let inDlq = 0;
    for (const days of ledger.byPartition.values()) {
      for (const ids of days.values()) {
        for (const eid of ids) {
          if (found.has(eid)) continue;
          if (dlq.eventIds.has(eid)) inDlq += 1;
          else lost += 1;
        }
      }
    }
    result = {
      acked: ledger.distinct,
      rows,
      dlq: dlq.records,
      lost,
      unexplained: dlq.unexplained,
      duplicatesCollapsed: counts.parsedRecords - counts.parsedDistinct,
      faults,
      seconds: Math.round((Date.now() - t0) / 100) / 10,
      run: { id, prefix: names.prefix, keyspace: names.keyspace, assetTable: names.assetTable, seed: o.seed, devices: o.devices, logs: runDir },
      detail: {
        ackedPackets: summary.acked, ackedRecordsWithRepeats: ledger.ackedRecords, resent: summary.resent, givenUp: summary.failed, simulatorErrors: summary.errorsByCode,
        ackedInDlq: inDlq, unackedRows: foreignRows, repeatedRows, rowsBySchemaVersion: bySchemaVersion,
        dlqBadOnPurpose: dlq.badOnPurpose, dlqDuplicates: dlq.duplicates, dlqByReason: dlq.byReason, badRawProduced: badProduced, httpBadRejected: httpRejected, httpBadAccepted: httpAccepted,
        rawRecords: counts.rawRecords, parsedRecords: counts.parsedRecords, parsedDistinct: counts.parsedDistinct, enrichedRecords: counts.enrichedRecords,
        assetChanges, assetRecords: counts.assetRecords, assetVersions: counts.assetVersions, registerRows: register.size, assetGaps: assetGaps.length, topicsReadToEnd: counts.complete,
        lagAtEnd: lags, unplannedRestarts: pipeline.unplanned, feedSeconds: Math.round(feedSeconds),
      },
    };
    process.stdout.write(`${renderChaosTable(result)}\n`);
    const faultFailures = faults.filter((f) => f.error).length;
    code = result.lost === 0 && result.unexplained === 0 && httpAccepted === 0 && faultFailures === 0 && dlq.badOnPurpose === badProduced && assetGaps.length === 0 ? 0 : 1;
  } catch (err) {
    say(`failed: ${(err as Error).message}`);
    code = 1;
  } finally {
    await cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (o.json && result) writeFileSync(o.json, `${JSON.stringify(result, null, 2)}\n`);
  say(`chaos run over: exit ${code}`);
  return code;
}
