// @servers kafka
import { encodeTcpPacket, CODEC_8, CODEC_8_EXTENDED, CODEC_16, type AvlRecord, type AvlCodecId } from '@fleetstream/telemetry';
import { startService, DlqHeaders } from '@fleetstream/stream';
import { brokers, createTopics, produce, readTopic, suffix } from '@fleetstream/test-kit';
import { parseConfigSchema, createParseService } from '../src/index.ts';

const PACKETS = Number(process.env.PARSE_TEST_PACKETS ?? 50_000);

/** A deterministic pseudo-random generator, so a failure can be replayed. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

function record(rand: () => number, codec: AvlCodecId, t: number): AvlRecord {
  const ids = codec === CODEC_8 ? [239, 240, 66, 16] : [239, 240, 66, 16, 449];
  return {
    timestamp: t,
    priority: Math.floor(rand() * 2),
    longitude: Math.round((rand() * 360 - 180) * 1e7) / 1e7,
    latitude: Math.round((rand() * 180 - 90) * 1e7) / 1e7,
    altitude: Math.floor(rand() * 500),
    angle: Math.floor(rand() * 360),
    satellites: Math.floor(rand() * 20),
    speed: Math.floor(rand() * 120),
    eventIoId: 0,
    ...(codec === CODEC_16 ? { generationType: 7 } : {}),
    io: [
      { id: ids[0]!, width: 1, value: Math.floor(rand() * 2) },
      { id: ids[1]!, width: 1, value: Math.floor(rand() * 2) },
      { id: ids[2]!, width: 2, value: 12000 + Math.floor(rand() * 2000) },
      { id: ids[3]!, width: 4, value: Math.floor(rand() * 1e6) },
    ],
  };
}

interface Sent {
  imei: string;
  value: Buffer;
  corrupt: boolean;
  records: number;
}

function packets(n: number): Sent[] {
  const rand = rng(42);
  const codecs: AvlCodecId[] = [CODEC_8, CODEC_8_EXTENDED, CODEC_16];
  const out: Sent[] = [];
  for (let i = 0; i < n; i += 1) {
    const codec = codecs[i % 3]!;
    const imei = String(356307042440000 + (i % 500));
    const count = 1 + (i % 3);
    const base = 1_700_000_000_000 + i * 10_000;
    const value = encodeTcpPacket({ codecId: codec, records: Array.from({ length: count }, (_, k) => record(rand, codec, base + k * 1000)) });
    const corrupt = i % 20 === 7; // 5 %
    if (corrupt) value[value.length - 1] = value[value.length - 1]! ^ 0xff; // CRC no longer matches
    out.push({ imei, value, corrupt, records: count });
  }
  return out;
}

describe.each(['kafkajs', 'platformatic'])('parse against the real Kafka, KAFKA_CLIENT=%s', (client) => {
  test(`${PACKETS} raw packets of mixed codecs, 5 % corrupt: every valid record parsed (same eventIds on replay), every corrupt packet in the DLQ with its reason, nothing else`, async () => {
    // Prepare
    const input = `raw-${suffix()}`;
    const output = `parsed-${suffix()}`;
    await createTopics([input, output], 6);
    await createTopics([{ topic: 'telemetry.dlq', partitions: 4 }]); // shared by the run: created once
    const sent = packets(PACKETS);
    const headers = (receivedAt: string) => ({ protocol: 'teltonika-tcp', receivedAt });
    await produce(
      input,
      // then a second copy of the first 1000 packets: a device resending after a lost ack
      [...sent.map((p) => ({ key: p.imei, value: p.value, headers: headers('1700000000000') })), ...sent.slice(0, 1000).map((p) => ({ key: p.imei, value: p.value, headers: headers('1700000000001') }))],
      5_000,
    );
    const expectedRecords = sent.filter((p) => !p.corrupt).reduce((a, p) => a + p.records, 0);
    const repeatedRecords = sent.slice(0, 1000).filter((p) => !p.corrupt).reduce((a, p) => a + p.records, 0);
    const corrupt = sent.filter((p) => p.corrupt).length;
    const corruptRepeated = sent.slice(0, 1000).filter((p) => p.corrupt).length;

    // Act
    const env = { KAFKA_CLIENT: client, KAFKA_BROKERS: brokers().join(','), HEALTH_PORT: '0', LOG_LEVEL: 'warn', INPUT_TOPIC: input, OUTPUT_TOPIC: output, CONSUMER_GROUP: `parse-${suffix()}` };
    const running = await startService({ name: 'parse', version: 'test', schema: parseConfigSchema, create: createParseService }, { env, handleSignals: false });
    expect(running.deps.kafka.name).toBe(client); // the client KAFKA_CLIENT named
    const parsed = await readTopic(output, { count: expectedRecords + repeatedRecords, timeoutMs: 240_000 });
    const dlq = await readTopic('telemetry.dlq', { until: () => false, timeoutMs: 5_000, onTimeout: 'return' });
    await running.shutdown();

    // Assess: outputs
    expect(parsed).toHaveLength(expectedRecords + repeatedRecords);
    const ids = new Set(parsed.map((p) => (JSON.parse(String(p.value)) as { eventId: string }).eventId));
    expect(ids.size).toBe(expectedRecords); // the resent packets produced the same eventIds
    for (const p of parsed.slice(0, 100)) {
      const event = JSON.parse(String(p.value)) as { deviceId: string; schemaVersion: number };
      expect(p.key).toBe(event.deviceId);
      expect(p.headers['schema-version']).toBe('1');
      expect(event.schemaVersion).toBe(1);
    }
    // Assess: dead letters from this input only, each with its reason and the original bytes
    const mine = dlq.filter((d) => d.headers[DlqHeaders.sourceTopic] === input);
    expect(mine).toHaveLength(corrupt + corruptRepeated);
    expect(new Set(mine.map((d) => d.headers[DlqHeaders.errorClass]))).toEqual(new Set(['TELEMETRY_CRC_MISMATCH']));
    const corruptBytes = new Set(sent.filter((p) => p.corrupt).map((p) => p.value.toString('hex')));
    for (const d of mine) expect(corruptBytes.has(d.value?.toString('hex') ?? '')).toBe(true);
    expect(mine.every((d) => d.headers[DlqHeaders.service] === 'parse' && d.headers.protocol === 'teltonika-tcp')).toBe(true);
  }, 300_000);
});
