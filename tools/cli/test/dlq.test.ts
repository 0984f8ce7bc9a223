// @servers kafka
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createKafkajsClient, DlqHeaders, DLQ_TOPIC, startService, type InboundRecord, type KafkaClient } from '@fleetstream/stream';
import { CODEC_8, encodeTcpPacket, type AvlRecord } from '@fleetstream/telemetry';
import { createParseService, decodeRaw, parseConfigSchema } from '@fleetstream/parse';
import { describeDlqRecord, replayRecord, skipReason, summarizeByReason } from '../src/dlq/dlq-entry.ts';
import { parseSince } from '../src/dlq.ts';

const BIN = fileURLToPath(new URL('../bin/fleetstream.js', import.meta.url));
const brokers = process.env.KAFKA_BROKERS ?? '127.0.0.1:19092';
const suffix = () => randomUUID().replace(/-/g, '').slice(0, 10);

function run(args: string[], env: Record<string, string> = { KAFKA_BROKERS: brokers }): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH, ...env }, timeout: 90_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

async function runJson<T>(args: string[]): Promise<T> {
  const { code, stdout, stderr } = await run([...args, '--json']);
  if (code !== 0) throw new Error(`fleetstream ${args.join(' ')} exited ${code}: ${stderr}`);
  return JSON.parse(stdout) as T;
}

interface InspectJson {
  matched: number;
  reasons: { reason: string; count: number; sourceTopics: string[]; services: string[] }[];
  records: { at: string; reason: string; sourceTopic: string; service: string; key: string; valueBytes: number; replayedFrom: string | null; headers: Record<string, string> }[];
}
interface ReplayJson {
  dryRun: boolean;
  replayed: { at: string; topic: string; key: string; valueBytes: number; headers: Record<string, string> }[];
  skipped: { at: string; reason: string; why: string }[];
}

const avl = (timestamp: number, speed: number): AvlRecord => ({
  timestamp,
  priority: 0,
  longitude: 25.2797,
  latitude: 54.6872,
  altitude: 100,
  angle: 90,
  satellites: 9,
  speed,
  eventIoId: 0,
  io: [{ id: 239, width: 1, value: 1 }],
});

const inbound = (key: string, value: Buffer, headers: Record<string, string>, over: Partial<InboundRecord> = {}): InboundRecord => ({
  topic: DLQ_TOPIC,
  partition: 2,
  offset: '17',
  key: Buffer.from(key),
  value,
  headers,
  timestamp: Date.UTC(2024, 6, 1, 12, 0, 0),
  ...over,
});

describe('dlq helpers', () => {
  test.each([
    ['90s', 1_000_000 - 90_000],
    ['15m', 1_000_000 - 900_000],
    ['1700000000000', 1_700_000_000_000],
    ['2024-07-01T12:00:00Z', Date.UTC(2024, 6, 1, 12, 0, 0)],
  ])('--since %s is %d ms', (input, expected) => {
    expect(parseSince(input, 1_000_000)).toBe(expected);
  });

  test('a replayed record keeps key, value and original headers, drops dlq.* headers, applies overrides and names its DLQ coordinates', () => {
    // Prepare
    const value = Buffer.from([1, 2, 3]);
    const record = inbound('356307042441013', value, {
      protocol: 'teltonika-tcp-v2',
      receivedAt: '1700000000000',
      [DlqHeaders.sourceTopic]: 'telemetry.raw',
      [DlqHeaders.sourcePartition]: '4',
      [DlqHeaders.sourceOffset]: '99',
      [DlqHeaders.errorClass]: 'UNKNOWN_PROTOCOL',
      [DlqHeaders.service]: 'parse',
    });

    // Act
    const out = replayRecord(record, { protocol: 'teltonika-tcp' });

    // Assess
    expect(out).toEqual({
      topic: 'telemetry.raw',
      key: Buffer.from('356307042441013'),
      value,
      headers: { protocol: 'teltonika-tcp', receivedAt: '1700000000000', [DlqHeaders.replayed]: `${DLQ_TOPIC}/2/17` },
    });
    expect(skipReason(record)).toBeUndefined();
  });

  test('a record that is itself a failed replay, or has no source topic, is skipped with the reason', () => {
    expect(skipReason(inbound('k', Buffer.alloc(1), { [DlqHeaders.sourceTopic]: 't', [DlqHeaders.replayed]: 'telemetry.dlq/0/5' }))).toBe('already a replay of telemetry.dlq/0/5');
    expect(skipReason(inbound('k', Buffer.alloc(1), {}))).toBe('no dlq.source.topic header');
  });

  test('the summary groups by reason with counts, first and last seen, source topics and services', () => {
    // Prepare
    const at = (ms: number, reason: string, topic: string, service: string, firstSeen?: string) =>
      describeDlqRecord(
        inbound('k', Buffer.alloc(3), { [DlqHeaders.errorClass]: reason, [DlqHeaders.sourceTopic]: topic, [DlqHeaders.service]: service, ...(firstSeen ? { [DlqHeaders.firstSeen]: firstSeen } : {}) }, { timestamp: ms }),
      );
    const entries = [at(3000, 'TELEMETRY_CRC_MISMATCH', 'raw-b', 'parse'), at(1000, 'TELEMETRY_CRC_MISMATCH', 'raw-a', 'gateway', '1970-01-01T00:00:00.500Z'), at(2000, 'TELEMETRY_SCHEMA_INVALID', 'parsed', 'enrich')];

    // Act
    const summary = summarizeByReason(entries);

    // Assess
    expect(summary).toEqual([
      { reason: 'TELEMETRY_CRC_MISMATCH', count: 2, firstSeen: '1970-01-01T00:00:00.500Z', lastSeen: '1970-01-01T00:00:03.000Z', sourceTopics: ['raw-a', 'raw-b'], services: ['gateway', 'parse'] },
      { reason: 'TELEMETRY_SCHEMA_INVALID', count: 1, firstSeen: '1970-01-01T00:00:02.000Z', lastSeen: '1970-01-01T00:00:02.000Z', sourceTopics: ['parsed'], services: ['enrich'] },
    ]);
    expect(entries[0]!.valueBytes).toBe(3);
    expect(Object.keys(entries[0]!)).not.toContain('value');
  });
});

describe('fleetstream dlq against the real Kafka and parse', () => {
  const input = `raw-dlq-${suffix()}`;
  const output = `parsed-dlq-${suffix()}`;
  let kafka: KafkaClient;

  /** The event ids a correct parse derives from a packet. */
  const expectedIds = (imei: string, value: Buffer) => decodeRaw(inbound(imei, value, { protocol: 'teltonika-tcp', receivedAt: '1700000000000' })).map((e) => e.eventId);

  /** Polls `dlq inspect` for this test's input until `want` records match. */
  async function untilDlq(filter: string[], want: number): Promise<InspectJson> {
    for (let i = 0; i < 60; i += 1) {
      const result = await runJson<InspectJson>(['dlq', 'inspect', '--source-topic', input, ...filter, '--limit', '100']);
      if (result.matched >= want) return result;
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`the DLQ never held ${want} records of ${input} ${filter.join(' ')}`);
  }

  /** Reads the output topic until every wanted eventId arrived; returns every eventId seen. */
  async function untilEvents(want: Set<string>): Promise<string[]> {
    const seen: string[] = [];
    const consumer = kafka.consumer({ groupId: `dlq-test-${suffix()}`, topics: [output], fromBeginning: true });
    await consumer.connect();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`saw ${seen.length} events, not all of ${want.size}`)), 90_000);
      void consumer.run(async (batch) => {
        for (const r of batch.records) seen.push((JSON.parse(r.value!.toString()) as { eventId: string }).eventId);
        if ([...want].every((id) => seen.includes(id))) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    await consumer.disconnect();
    return seen;
  }

  const inputSize = async () => {
    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(input);
    await admin.disconnect();
    return offsets.reduce((n, p) => n + Number(p.high), 0);
  };

  beforeAll(async () => {
    kafka = createKafkajsClient({ brokers: brokers.split(','), clientId: 'dlq-test' });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics([
      { topic: input, numPartitions: 3, replicationFactor: 1 },
      { topic: output, numPartitions: 3, replicationFactor: 1 },
    ]);
    if (!(await admin.listTopics()).includes(DLQ_TOPIC)) await admin.createTopics([{ topic: DLQ_TOPIC, numPartitions: 4, replicationFactor: 1 }]).catch(() => undefined);
    await admin.disconnect();
  });

  afterAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics([input, output]).catch(() => undefined);
    await admin.disconnect();
  });

  test('records sent to the DLQ by a bug, replayed after the fix with a corrected header, end up as parsed events; a replay that fails again is never replayed again', async () => {
    // Prepare: "a gateway bug" writes 4 packets (2 records each) with a protocol header parse does not know,
    // plus one packet with a broken CRC (a genuinely bad packet) and one good packet.
    const base = Date.UTC(2024, 6, 1, 8, 0, 0);
    const imeis = ['356307042440001', '356307042440002'];
    const buggy = Array.from({ length: 4 }, (_, i) => ({ imei: imeis[i % 2]!, value: encodeTcpPacket({ codecId: CODEC_8, records: [avl(base + i * 60_000, 10 + i), avl(base + i * 60_000 + 1000, 20 + i)] }) }));
    const good = { imei: imeis[0]!, value: encodeTcpPacket({ codecId: CODEC_8, records: [avl(base - 60_000, 5)] }) };
    const corrupt = encodeTcpPacket({ codecId: CODEC_8, records: [avl(base - 120_000, 7)] });
    corrupt[corrupt.length - 1] = corrupt[corrupt.length - 1]! ^ 0xff;
    const headers = (protocol: string) => ({ protocol, receivedAt: '1700000000000' });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send([
      ...buggy.map((p) => ({ topic: input, key: p.imei, value: p.value, headers: headers('teltonika-tcp-v2') })),
      { topic: input, key: imeis[1]!, value: corrupt, headers: headers('teltonika-tcp') },
      { topic: input, key: good.imei, value: good.value, headers: headers('teltonika-tcp') },
    ]);
    await producer.disconnect();
    const env = { KAFKA_BROKERS: brokers, HEALTH_PORT: '0', LOG_LEVEL: 'warn', INPUT_TOPIC: input, OUTPUT_TOPIC: output, CONSUMER_GROUP: `parse-${suffix()}`, COMMIT_INTERVAL_MS: '100' };
    const parse = await startService({ name: 'parse', version: 'test', schema: parseConfigSchema, create: createParseService }, { env, handleSignals: false });
    try {
      const before = await untilDlq([], 5);
      const buggyIds = buggy.flatMap((p) => expectedIds(p.imei, p.value));

      // Assess: inspect shows the two reasons, decoded headers, and no payload
      expect(before.matched).toBe(5);
      expect(before.reasons.map((r) => [r.reason, r.count, r.sourceTopics, r.services])).toEqual([
        ['UNKNOWN_PROTOCOL', 4, [input], ['parse']],
        ['TELEMETRY_CRC_MISMATCH', 1, [input], ['parse']],
      ]);
      const unknown = before.records.filter((r) => r.reason === 'UNKNOWN_PROTOCOL');
      expect(unknown.map((r) => r.headers.protocol)).toEqual(['teltonika-tcp-v2', 'teltonika-tcp-v2', 'teltonika-tcp-v2', 'teltonika-tcp-v2']);
      expect(unknown.map((r) => r.valueBytes).sort()).toEqual(buggy.map((p) => p.value.length).sort());
      const table = await run(['dlq', 'inspect', '--source-topic', input]);
      expect(table.code).toBe(0);
      expect(table.stdout).toContain('UNKNOWN_PROTOCOL');
      for (const p of [...buggy.map((b) => b.value), corrupt]) expect(table.stdout).not.toContain(p.toString('hex').slice(0, 16));

      // Act 1: a dry run sends nothing
      const sizeBefore = await inputSize();
      const dry = await runJson<ReplayJson>(['dlq', 'replay', '--reason', 'UNKNOWN_PROTOCOL', '--source-topic', input, '--set-header', 'protocol=teltonika-tcp', '--dry-run']);
      expect(dry.dryRun).toBe(true);
      expect(dry.replayed).toHaveLength(4);
      expect(await inputSize()).toBe(sizeBefore);

      // Act 2: the fix: replay with the corrected header
      const fixed = await runJson<ReplayJson>(['dlq', 'replay', '--reason', 'UNKNOWN_PROTOCOL', '--source-topic', input, '--set-header', 'protocol=teltonika-tcp']);

      // Assess: every buggy record is now a parsed event with its expected eventId
      expect(fixed.skipped).toEqual([]);
      expect(fixed.replayed.map((r) => [r.at, r.topic, r.headers.protocol, r.headers[DlqHeaders.replayed]]).sort()).toEqual(unknown.map((u) => [u.at, input, 'teltonika-tcp', u.at]).sort());
      expect(await inputSize()).toBe(sizeBefore + 4);
      const seen = await untilEvents(new Set([...buggyIds, ...expectedIds(good.imei, good.value)]));
      expect(buggyIds).toHaveLength(8);
      expect(seen.filter((id) => buggyIds.includes(id)).sort()).toEqual([...buggyIds].sort());

      // Act 3: replaying the genuinely bad packet fails again in parse, and lands in the DLQ marked as a replay
      const crc = await runJson<ReplayJson>(['dlq', 'replay', '--reason', 'TELEMETRY_CRC_MISMATCH', '--source-topic', input]);
      expect(crc.replayed).toHaveLength(1);
      const after = await untilDlq(['--reason', 'TELEMETRY_CRC_MISMATCH'], 2);
      const again = await runJson<ReplayJson>(['dlq', 'replay', '--reason', 'TELEMETRY_CRC_MISMATCH', '--source-topic', input, '--dry-run']);
      const text = await run(['dlq', 'replay', '--reason', 'TELEMETRY_CRC_MISMATCH', '--source-topic', input, '--dry-run']);

      // Assess: the failed replay is listed as skipped (never silently), the original could be sent again
      const failedReplay = after.records.find((r) => r.replayedFrom !== null)!;
      expect(failedReplay.replayedFrom).toBe(crc.replayed[0]!.at);
      expect(again.replayed.map((r) => r.at)).toEqual([crc.replayed[0]!.at]);
      expect(again.skipped).toEqual([{ at: failedReplay.at, reason: 'TELEMETRY_CRC_MISMATCH', why: `already a replay of ${crc.replayed[0]!.at}` }]);
      expect(text.stdout.trimEnd().split('\n').at(-1)).toBe('would replay 1, skipped 1 (dry run: nothing sent)');
      expect(text.stdout).toContain(`skipped: already a replay of ${crc.replayed[0]!.at}`);
      // nothing replayed with the fix failed again
      expect((await runJson<InspectJson>(['dlq', 'inspect', '--source-topic', input, '--reason', 'UNKNOWN_PROTOCOL'])).matched).toBe(4);
    } finally {
      await parse.shutdown();
    }
  });

  test.each([
    [['dlq'], 'expected inspect or replay'],
    [['dlq', 'replay'], 'replay needs --reason'],
    [['dlq', 'inspect', '--since', 'yesterday'], '--since must be an ISO 8601 time'],
    [['dlq', 'inspect', '--limit', '0'], '--limit must be an integer'],
    [['dlq', 'replay', '--reason', 'X', '--set-header', 'dlq.replayed=1'], '--set-header cannot set the dlq.* header'],
    [['dlq', 'replay', '--reason', 'X', '--set-header', 'novalue'], '--set-header must be name=value'],
    [['dlq', 'inspect', '--dry-run'], '--dry-run and --set-header belong to replay'],
  ])('bad input %j exits 2 with a one-line error', async (args, message) => {
    const { code, stderr } = await run(args);
    expect(code).toBe(2);
    expect(stderr.split('\n')[0]).toContain(`fleetstream dlq: ${message}`);
  });

  test('a missing KAFKA_BROKERS exits 2 naming the variable', async () => {
    const { code, stderr } = await run(['dlq', 'inspect'], {});
    expect({ code, stderr }).toEqual({ code: 2, stderr: 'fleetstream dlq: KAFKA_BROKERS: is required (must be a comma-separated list of host:port)\n' });
  });

  test('a DLQ topic that does not exist is a failed run (exit 1)', async () => {
    const topic = `missing-${suffix()}`;
    const { code, stderr } = await run(['dlq', 'inspect', '--topic', topic]);
    expect({ code, stderr }).toEqual({ code: 1, stderr: `fleetstream dlq: topic ${topic} does not exist\n` });
  });
});
