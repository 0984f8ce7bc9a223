// @servers kafka
import { fileURLToPath } from 'node:url';
import { createTopics, killMidStream, produce, readTopic, suffix, tally } from '@fleetstream/test-kit';
import { assetRow, createTestTopics, events } from './helpers/kafka.ts';

const entry = fileURLToPath(new URL('../src/index.ts', import.meta.url));
const DEVICES = 50;
const PER_DEVICE = 100;

/** Parsed events of every device (each in the reference table), and every 50th input not JSON at all. */
function inputs(topic: string) {
  const good = Array.from({ length: DEVICES }, (_, d) => events(topic, `dev-${d}`, PER_DEVICE)).flat();
  const records = good.flatMap((r, i) => (i % 50 === 7 ? [r, { topic, key: `dev-${i % DEVICES}`, value: `not json ${i}` }] : [r]));
  return {
    records: records.map((r) => ({ key: String(r.key), value: r.value as string, headers: r.headers })),
    eventIds: good.map((r) => (JSON.parse(r.value as string) as { eventId: string }).eventId),
    badValues: records.filter((r) => String(r.value).startsWith('not json')).map((r) => r.value as string),
  };
}

/** Fills parsed + reference topics, runs enrich with a kill -9 mid-stream and a restart, and reads what it wrote (read_committed) to the end. */
async function runWithKill(env: Record<string, string>, restartEnv: Record<string, string> = {}) {
  const t = await createTestTopics(4);
  const group = `enrich-${suffix()}`;
  await createTopics([t.dlq], 4);
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
  const out = await readTopic(t.output);
  const dlq = await readTopic(t.dlq);
  return {
    expected,
    run,
    events: tally(expected.eventIds, out.map((r) => (JSON.parse(r.value!.toString()) as { eventId: string }).eventId)),
    dead: tally(expected.badValues, dlq.map((r) => r.value!.toString())),
  };
}

describe('enrich exactly-once (EXACTLY_ONCE=true) against the real Kafka', () => {
  test(`${DEVICES * PER_DEVICE} parsed events and 100 bad ones, enrich killed -9 mid-stream and restarted: read_committed, every event is enriched once and every bad one in the DLQ once`, async () => {
    // Act
    const { expected, run, events, dead } = await runWithKill({ EXACTLY_ONCE: 'true', TRANSACTIONAL_ID: `enrich-tx-${suffix()}` });

    // Assess
    expect({ events, dead }).toEqual({ events: { duplicated: 0, missing: 0, unexpected: 0 }, dead: { duplicated: 0, missing: 0, unexpected: 0 } });
    // ... after a kill that came after some output was committed and before the end; the restart drained and stopped cleanly
    expect(run.committedAtKill).toBeGreaterThan(0n);
    expect(run.committedAtKill).toBeLessThan(run.inputEnd);
    expect(run.restartExit).toBe(0);
    expect(expected.badValues).toHaveLength(100);
  }, 300_000);

  test('the same kill at-least-once (EXACTLY_ONCE=false, no offset committed before the kill): nothing is missing, and what came after the last commit is repeated', async () => {
    // Act
    const { run, events, dead } = await runWithKill({ COMMIT_INTERVAL_MS: '60000' }, { COMMIT_INTERVAL_MS: '1000' });

    // Assess: nothing was committed when killed, so the restart repeats what the first process wrote: the
    // repeats the exactly-once test rules out do happen, and the at-least-once promise holds
    expect(run.committedAtKill).toBe(0n);
    expect({ missing: events.missing, unexpected: events.unexpected, deadMissing: dead.missing }).toEqual({ missing: 0, unexpected: 0, deadMissing: 0 });
    expect(events.duplicated).toBeGreaterThan(0);
  }, 300_000);
});
