// @servers kafka
import { fileURLToPath } from 'node:url';
import { createTopics, exactlyOnceKillTests, killMidStream, produce, suffix, tallyOutputs, type RunWithKill } from '@fleetstream/test-kit';
import { parseTransform } from '../src/index.ts';
import { rawRecords } from './helpers/raw-records.ts';

const entry = fileURLToPath(new URL('../src/index.ts', import.meta.url));
const INPUTS = 5_000;

/** The raw records (every one with its receivedAt, so the events' ids do not depend on the broker) and what parse must make of them once. */
async function inputs() {
  const records = rawRecords(INPUTS, 21).map((r) => ({ ...r, headers: { receivedAt: String(1_700_000_000_000 + Number(r.offset)), ...r.headers } }));
  const { out, dead } = await parseTransform('expected')(records);
  return {
    records: records.map((r) => ({ key: r.key?.toString() ?? null, value: r.value!, headers: r.headers })),
    eventIds: out.map((o) => (JSON.parse(String(o.value)) as { eventId: string }).eventId),
    badValues: dead.map((d) => d.record.value!.toString('base64')),
  };
}

/** Fills a raw topic (TCP, UDP and JSON records of the three codecs, corrupt packets among them), runs parse over it with a kill -9 mid-stream and a restart. */
const runWithKill: RunWithKill = async (env, restartEnv) => {
  const s = suffix();
  const t = { input: `raw-${s}`, output: `parsed-${s}`, dlq: `dlq-${s}`, group: `parse-${s}` };
  await createTopics([t.input, t.output, t.dlq], 4);
  const expected = await inputs();
  await produce(t.input, expected.records, 2_500);
  const run = await killMidStream({
    entry,
    // Throttled so the kill lands mid-stream: a few seconds of work, killed after ~15 % of the events.
    env: { INPUT_TOPIC: t.input, OUTPUT_TOPIC: t.output, DLQ_TOPIC: t.dlq, CONSUMER_GROUP: t.group, MAX_RECORDS_PER_SEC: '1000', MAX_RECORDS_PER_BATCH: '100', ...env },
    restartEnv,
    input: t.input,
    group: t.group,
    output: t.output,
    killAfter: Math.floor(expected.eventIds.length * 0.15),
  });
  return { run, badInputs: expected.badValues.length, ...(await tallyOutputs(t, expected)) };
};

// Both Kafka clients run the kill: the transactions (and their offsets) are the adapter's.
describe.each(['kafkajs', 'platformatic'])('parse exactly-once against the real Kafka, KAFKA_CLIENT=%s', (client) => {
  exactlyOnceKillTests('parse', `${INPUTS} raw records, some corrupt,`, (env, restartEnv) => runWithKill({ KAFKA_CLIENT: client, ...env }, restartEnv));
});
