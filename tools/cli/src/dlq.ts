/**
 * `fleetstream dlq inspect | replay`: look into the dead-letter topic and re-send its records
 * after a fix.
 *
 *     fleetstream dlq inspect [--reason <r>] [--since <t>] [--source-topic <t>] [--topic telemetry.dlq] [--limit N] [--json]
 *     fleetstream dlq replay --reason <r> [--dry-run] [--since <t>] [--source-topic <t>] [--set-header name=value]...
 *                            [--topic telemetry.dlq] [--limit N] [--json]
 *
 * Both read the DLQ topic from the beginning up to its end at the start of the run (a throw-away
 * consumer group that commits nothing) and select records by reason (`dlq.error.class`), record
 * time and source topic. Payload bytes are never printed, only their length.
 *
 * Replay re-sends each selected record's original key, value and headers (minus the `dlq.*`
 * headers) to its source topic (`dlq.source.topic`) with acks=all, adding `dlq.replayed` = the DLQ
 * coordinates (`telemetry.dlq/2/17`). A record that already carries `dlq.replayed` (a replay that
 * failed again) is skipped and listed, so a replay loop is impossible. `--set-header` overrides an
 * original header: after fixing a producer that wrote a wrong header, correct it on replay.
 * Nothing is remembered between runs: replaying twice sends the records twice; parse and store
 * collapse such repeats because eventIds are deterministic (docs/architecture.md, event model).
 *
 * Environment: KAFKA_BROKERS, and KAFKA_SSL, KAFKA_SSL_CA_FILE, KAFKA_SASL_MECHANISM,
 * KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD, KAFKA_CLIENT_ID as for the services.
 * Exit codes: 0 done, 1 a failed run, 2 bad input.
 */
import { parseArgs } from 'node:util';
import { ConfigError, DLQ_TOPIC, DlqHeaders, type Headers, type KafkaClient } from '@fleetstream/stream';
import { kafkaFromEnv } from './connections.ts';
import { describeDlqRecord, matchesFilter, replayRecord, skipReason, summarizeByReason, type DlqEntry, type DlqFilter } from './dlq/dlq-entry.ts';
import { readTopicToEnd } from './dlq/read-dlq.ts';
import { formatTable } from './format-table.ts';
import { UsageError } from './errors.ts';

const USAGE = `usage: fleetstream dlq inspect [--reason <r>] [--since <t>] [--source-topic <t>] [--topic <dlq>] [--limit N] [--json]
       fleetstream dlq replay --reason <r> [--dry-run] [--since <t>] [--source-topic <t>] [--set-header name=value]... [--topic <dlq>] [--limit N] [--json]
  --reason        the DLQ reason (header ${DlqHeaders.errorClass}), e.g. TELEMETRY_CRC_MISMATCH
  --since         records that reached the DLQ at or after: ISO 8601, epoch ms, or a duration ago (30s, 15m, 1h, 2d)
  --source-topic  only records that failed on this input topic
  --topic         the DLQ topic (default ${DLQ_TOPIC})
  --limit         inspect: newest records listed (default 20); replay: at most N records, oldest first
  --dry-run       replay: print what would be sent, send nothing
  --set-header    replay: override an original header (repeatable), after fixing the producer that wrote it
  --json          one JSON object instead of tables
replaying twice sends twice: parse and store collapse the repeats through deterministic eventIds
environment: KAFKA_BROKERS (+ KAFKA_SSL, KAFKA_SSL_CA_FILE, KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD)`;


const DURATION_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** ISO 8601, epoch ms, or a duration ago (`90s`, `15m`, `1h`, `2d`) to epoch ms. */
export function parseSince(v: string, now = Date.now()): number {
  const duration = /^(\d+)(ms|s|m|h|d)$/.exec(v);
  if (duration) return now - Number(duration[1]) * DURATION_MS[duration[2]!]!;
  const ms = /^\d+$/.test(v) ? Number(v) : /^\d{4}-\d{2}-\d{2}/.test(v) ? Date.parse(v) : Number.NaN;
  if (!Number.isFinite(ms)) throw new UsageError(`--since must be an ISO 8601 time, epoch milliseconds or a duration like 1h, got "${v}"`);
  return ms;
}

function parseSetHeaders(values: string[]): Headers {
  const out: Headers = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    const name = eq > 0 ? v.slice(0, eq).trim() : '';
    if (!name) throw new UsageError(`--set-header must be name=value, got "${v}"`);
    if (name.startsWith('dlq.')) throw new UsageError(`--set-header cannot set the dlq.* header "${name}"`);
    out[name] = v.slice(eq + 1);
  }
  return out;
}

const dash = (v: string | null) => v ?? '-';
const source = (e: DlqEntry) => (e.sourceTopic === null ? '-' : `${e.sourceTopic}/${dash(e.sourcePartition)}/${dash(e.sourceOffset)}`);

interface Options {
  command: 'inspect' | 'replay';
  filter: DlqFilter;
  topic: string;
  limit: number | undefined;
  json: boolean;
  dryRun: boolean;
  setHeaders: Headers;
}

function parseOptions(args: string[]): Options | 'help' {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      reason: { type: 'string' },
      since: { type: 'string' },
      'source-topic': { type: 'string' },
      topic: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      'set-header': { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const [command, ...rest] = positionals;
  if (command !== 'inspect' && command !== 'replay') throw new UsageError(`expected inspect or replay, got ${command ?? 'nothing'}`);
  if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
  if (command === 'replay' && !values.reason) throw new UsageError('replay needs --reason');
  if (command === 'inspect' && (values['dry-run'] || values['set-header'])) throw new UsageError('--dry-run and --set-header belong to replay');
  for (const name of ['reason', 'source-topic', 'topic'] as const) {
    if (values[name] !== undefined && values[name].trim() === '') throw new UsageError(`--${name} must not be empty`);
  }
  let limit: number | undefined;
  if (values.limit !== undefined) {
    limit = Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000_000) throw new UsageError(`--limit must be an integer between 1 and 10000000, got "${values.limit}"`);
  }
  return {
    command,
    filter: { reason: values.reason, since: values.since === undefined ? undefined : parseSince(values.since), sourceTopic: values['source-topic'] },
    topic: values.topic ?? DLQ_TOPIC,
    limit,
    json: values.json === true,
    dryRun: values['dry-run'] === true,
    setHeaders: parseSetHeaders(values['set-header'] ?? []),
  };
}

async function inspect(kafka: KafkaClient, o: Options): Promise<void> {
  const { scanned, records } = await readTopicToEnd(kafka, o.topic, (r) => matchesFilter(r, o.filter));
  const entries = records.map(describeDlqRecord);
  const reasons = summarizeByReason(entries);
  const newest = [...entries].sort((a, b) => (a.time === b.time ? a.partition - b.partition || Number(BigInt(b.offset) - BigInt(a.offset)) : a.time < b.time ? 1 : -1)).slice(0, o.limit ?? 20);
  if (o.json) {
    process.stdout.write(`${JSON.stringify({ topic: o.topic, scanned, matched: entries.length, reasons, records: newest })}\n`);
    return;
  }
  if (entries.length === 0) {
    process.stdout.write(`no DLQ records match in ${o.topic} (${scanned} scanned)\n`);
    return;
  }
  process.stdout.write(`${entries.length} of ${scanned} records of ${o.topic} match\n\n`);
  process.stdout.write(
    formatTable(
      ['REASON', 'COUNT', 'FIRST SEEN', 'LAST SEEN', 'SOURCE TOPICS', 'SERVICES'],
      reasons.map((g) => [g.reason, String(g.count), g.firstSeen, g.lastSeen, g.sourceTopics.join(',') || '-', g.services.join(',') || '-']),
    ),
  );
  process.stdout.write(`\nnewest ${newest.length}:\n`);
  process.stdout.write(
    formatTable(
      ['DLQ', 'TIME', 'REASON', 'SOURCE', 'SERVICE', 'FIRST SEEN', 'KEY', 'BYTES', 'REPLAY OF', 'ERROR'],
      newest.map((e) => [e.at, e.time, e.reason, source(e), dash(e.service), dash(e.firstSeen), dash(e.key), String(e.valueBytes), dash(e.replayedFrom), dash(e.errorMessage)]),
    ),
  );
}

async function replay(kafka: KafkaClient, o: Options): Promise<void> {
  const { records } = await readTopicToEnd(kafka, o.topic, (r) => matchesFilter(r, o.filter));
  records.sort((a, b) => a.timestamp - b.timestamp || a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
  const selected = o.limit === undefined ? records : records.slice(0, o.limit);
  const toSend = selected.filter((r) => skipReason(r) === undefined);
  const skipped = selected.filter((r) => skipReason(r) !== undefined).map((r) => ({ entry: describeDlqRecord(r), why: skipReason(r)! }));
  const outbound = toSend.map((r) => replayRecord(r, o.setHeaders));
  let sent = 0;
  if (!o.dryRun && outbound.length > 0) {
    const producer = kafka.producer();
    await producer.connect();
    try {
      for (let i = 0; i < outbound.length; i += 500) {
        await producer.send(outbound.slice(i, i + 500));
        sent = Math.min(outbound.length, i + 500);
      }
    } catch (err) {
      throw new Error(`replay failed after ${sent} of ${outbound.length} records were acknowledged: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    } finally {
      await producer.disconnect().catch(() => undefined);
    }
  }
  const replayed = toSend.map((r, i) => {
    const e = describeDlqRecord(r);
    return { at: e.at, reason: e.reason, topic: outbound[i]!.topic, key: e.key, valueBytes: e.valueBytes, headers: outbound[i]!.headers! };
  });
  if (o.json) {
    process.stdout.write(`${JSON.stringify({ topic: o.topic, dryRun: o.dryRun, replayed, skipped: skipped.map((s) => ({ at: s.entry.at, reason: s.entry.reason, why: s.why })) })}\n`);
    return;
  }
  const action = o.dryRun ? 'would replay' : 'replayed';
  const rows = [
    ...replayed.map((r) => [r.at, r.reason, r.topic, dash(r.key), String(r.valueBytes), action]),
    ...skipped.map((s) => [s.entry.at, s.entry.reason, dash(s.entry.sourceTopic), dash(s.entry.key), String(s.entry.valueBytes), `skipped: ${s.why}`]),
  ];
  if (rows.length > 0) process.stdout.write(formatTable(['DLQ', 'REASON', 'TO TOPIC', 'KEY', 'BYTES', 'ACTION'], rows));
  process.stdout.write(`${action} ${replayed.length}, skipped ${skipped.length}${o.dryRun ? ' (dry run: nothing sent)' : ''}\n`);
}

/** Entry of the verb; returns the exit code. */
export async function runDlq(args: string[]): Promise<number> {
  let options: Options;
  let kafka: KafkaClient;
  try {
    const parsed = parseOptions(args);
    if (parsed === 'help') {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    options = parsed;
    kafka = kafkaFromEnv();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const hint = err instanceof ConfigError ? '' : `\n${USAGE}`;
    process.stderr.write(`fleetstream dlq: ${message}${hint}\n`);
    return 2;
  }
  try {
    await (options.command === 'inspect' ? inspect(kafka, options) : replay(kafka, options));
    return 0;
  } catch (err) {
    process.stderr.write(`fleetstream dlq: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
