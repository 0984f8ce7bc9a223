// @servers kafka
import { fileURLToPath } from 'node:url';
import { createTopics, killMidStream, produce, readTopic, suffix, tally } from '@fleetstream/test-kit';
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

/** Fills a raw topic, runs parse over it with a kill -9 mid-stream and a restart, and reads what it wrote (read_committed) to the end. */
async function runWithKill(env: Record<string, string>, restartEnv: Record<string, string> = {}) {
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
  const out = await readTopic(t.output);
  const dlq = await readTopic(t.dlq);
  return {
    expected,
    run,
    events: tally(expected.eventIds, out.map((r) => (JSON.parse(r.value!.toString()) as { eventId: string }).eventId)),
    dead: tally(expected.badValues, dlq.map((r) => r.value!.toString('base64'))),
  };
}

describe('parse exactly-once (EXACTLY_ONCE=true) against the real Kafka', () => {
  test(`${INPUTS} raw records, some corrupt, parse killed -9 mid-stream and restarted: read_committed, every event is in the output once and every corrupt record in the DLQ once`, async () => {
    // Act
    const { expected, run, events, dead } = await runWithKill({ EXACTLY_ONCE: 'true', TRANSACTIONAL_ID: `parse-tx-${suffix()}` });

    // Assess
    expect({ events, dead }).toEqual({ events: { duplicated: 0, missing: 0, unexpected: 0 }, dead: { duplicated: 0, missing: 0, unexpected: 0 } });
    // ... after a kill that came after some output was committed and before the end; restart drained and stopped cleanly
    expect(run.committedAtKill).toBeGreaterThan(0n);
    expect(run.committedAtKill).toBeLessThan(run.inputEnd);
    expect(run.restartExit).toBe(0);
    expect(expected.badValues.length).toBeGreaterThan(100);
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
