// @servers kafka
import { fileURLToPath } from 'node:url';
import { exactlyOnceKillTests, killMidStream, produce, suffix, tallyOutputs, type RunWithKill } from '@fleetstream/test-kit';
import { assetRow, createTestTopics, events } from './helpers/kafka.ts';

const entry = fileURLToPath(new URL('../src/index.ts', import.meta.url));
const DEVICES = 50;
const PER_DEVICE = 100;

/** Parsed events of every device (each in the reference table), and after every 50th one a record that is not JSON at all. */
function inputs(topic: string) {
  const good = Array.from({ length: DEVICES }, (_, d) => events(topic, `dev-${d}`, PER_DEVICE)).flat();
  const records = good.flatMap((r, i) => (i % 50 === 7 ? [r, { topic, key: `dev-${i % DEVICES}`, value: `not json ${i}` }] : [r]));
  return {
    records: records.map((r) => ({ key: String(r.key), value: r.value as string, headers: r.headers })),
    eventIds: good.map((r) => (JSON.parse(r.value as string) as { eventId: string }).eventId),
    badValues: records.filter((r) => String(r.value).startsWith('not json')).map((r) => Buffer.from(r.value as string).toString('base64')),
  };
}

/** Fills the parsed and reference topics, runs enrich over them with a kill -9 mid-stream and a restart. */
const runWithKill: RunWithKill = async (env, restartEnv) => {
  const t = await createTestTopics(4);
  const group = `enrich-${suffix()}`;
  await produce(t.reference, Array.from({ length: DEVICES }, (_, d) => assetRow(t.reference, `dev-${d}`, `asset-${d}`)).map((r) => ({ key: String(r.key), value: r.value as string })));
  const expected = inputs(t.input);
  await produce(t.input, expected.records, 2_500);
  const run = await killMidStream({
    entry,
    // Throttled so the kill lands mid-stream; every device is in the table, so the asset API (a closed port) is never called.
    env: { INPUT_TOPIC: t.input, OUTPUT_TOPIC: t.output, REFERENCE_TOPIC: t.reference, DLQ_TOPIC: t.dlq, CONSUMER_GROUP: group, ASSET_API_URL: 'http://127.0.0.1:9', MAX_RECORDS_PER_SEC: '1000', MAX_RECORDS_PER_BATCH: '100', ...env },
    restartEnv,
    input: t.input,
    group,
    output: t.output,
    killAfter: Math.floor(expected.eventIds.length * 0.15),
  });
  return { run, badInputs: expected.badValues.length, ...(await tallyOutputs(t, expected)) };
};

// Both Kafka clients run the kill: the transactions (and their offsets) are the adapter's.
describe.each(['kafkajs', 'platformatic'])('enrich exactly-once against the real Kafka, KAFKA_CLIENT=%s', (client) => {
  exactlyOnceKillTests('enrich', `${DEVICES * PER_DEVICE} parsed events and 100 records that are not JSON,`, (env, restartEnv) => runWithKill({ KAFKA_CLIENT: client, ...env }, restartEnv));
});
