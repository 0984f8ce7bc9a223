// @servers kafka
import { z } from 'zod';
import { committedOffsets, createTopics, readTopic, suffix, waitFor } from '@fleetstream/test-kit';
import { baseConfigShape, consumerConfigShape, createStage, DlqHeaders, env, isFatal, kafkaSink, startService, StreamError, type OutboundRecord, type Transform } from '../src/index.ts';
import { brokers, produceRange } from './helpers/kafka.ts';

/**
 * The runner's error policy against the real broker: retryable -> retried with backoff; the
 * records' own error -> the failing record in the DLQ with its reason, the partition goes on;
 * fatal (the sink cannot work) -> the service stops with the reason.
 */
const schema = z.object({ ...baseConfigShape, ...consumerConfigShape, INPUT_TOPIC: env.str(), OUTPUT_TOPIC: env.str() });

async function topics() {
  const names = { input: `policy-in-${suffix()}`, output: `policy-out-${suffix()}`, dlq: `policy-dlq-${suffix()}`, group: `policy-${suffix()}` };
  await createTopics([names.input, names.output, names.dlq]);
  return names;
}

function start(t: { input: string; output: string; dlq: string; group: string }, transform: (outputTopic: string) => Transform) {
  const env = {
    KAFKA_BROKERS: brokers().join(','),
    INPUT_TOPIC: t.input,
    OUTPUT_TOPIC: t.output,
    DLQ_TOPIC: t.dlq,
    CONSUMER_GROUP: t.group,
    HEALTH_PORT: '0',
    LOG_LEVEL: 'silent',
    MAX_RECORDS_PER_BATCH: '10',
  };
  return startService(
    { name: 'policy-stage', version: 'test', schema, create: (deps) => createStage(deps, { input: { topics: [deps.config.INPUT_TOPIC] }, transform: transform(deps.config.OUTPUT_TOPIC), sink: kafkaSink(deps) }) },
    { env, handleSignals: false },
  );
}

const passThrough = (topic: string, values: string[]): OutboundRecord[] => values.map((v) => ({ topic, key: v, value: v }));

describe('the runner honours errors.ts against the real Kafka', () => {
  test('a retryable failure is retried with backoff: every record arrives, none in the DLQ, offsets committed to the end', async () => {
    // Prepare
    const t = await topics();
    await produceRange(t.input, 30);
    let calls = 0;

    // Act
    const { shutdown } = await start(t, (topic) => (records) => {
      calls += 1;
      if (calls <= 2) throw new StreamError('STREAM_KAFKA_UNAVAILABLE', 'not now', { retryable: true });
      return { out: passThrough(topic, records.map((r) => r.value!.toString())), dead: [] };
    });
    const out = await readTopic(t.output, { count: 30 });
    await waitFor(async () => (await committedOffsets(t.group, t.input)).get(0) === 30n, 'the commit of offset 30');
    await shutdown();

    // Assess
    expect(new Set(out.map((r) => r.value!.toString())).size).toBe(30);
    expect(calls).toBeGreaterThanOrEqual(5); // 2 failed attempts of the first chunk, then 3 chunks of 10
    expect(await readTopic(t.dlq)).toHaveLength(0);
    expect((await committedOffsets(t.group, t.input)).get(0)).toBe(30n);
  });

  test("a record's own error (a bug in the transform) sends that record alone to the DLQ with its reason and original bytes; the partition goes on", async () => {
    // Prepare
    const t = await topics();
    await produceRange(t.input, 40, (i) => (i === 13 || i === 27 ? 'poison' : String(i)));

    // Act
    const { shutdown } = await start(t, (topic) => (records) => {
      const values = records.map((r) => r.value!.toString());
      if (values.includes('poison')) throw new TypeError('cannot transform "poison"');
      return { out: passThrough(topic, values), dead: [] };
    });
    const dead = await readTopic(t.dlq, { count: 2 });
    const out = await readTopic(t.output, { count: 38 });
    await waitFor(async () => (await committedOffsets(t.group, t.input)).get(0) === 40n, 'the commit of offset 40');
    await shutdown();

    // Assess
    expect(dead.map((r) => [r.value!.toString(), r.headers[DlqHeaders.sourceOffset], r.headers[DlqHeaders.errorClass], r.headers[DlqHeaders.errorMessage]])).toEqual([
      ['poison', '13', 'TypeError', 'cannot transform "poison"'],
      ['poison', '27', 'TypeError', 'cannot transform "poison"'],
    ]);
    expect(dead.every((r) => r.key === 'dev-13' || r.key === 'dev-27')).toBe(true);
    const good = Array.from({ length: 40 }, (_, i) => String(i)).filter((v) => v !== '13' && v !== '27');
    expect([...new Set(out.map((r) => r.value!.toString()))].sort()).toEqual(good.sort());
    expect(await readTopic(t.dlq)).toHaveLength(2);
  });

  test('a fatal error of the sink (its output topic does not exist) stops the service with the reason and commits nothing past it', async () => {
    // Prepare
    const t = await topics();
    await produceRange(t.input, 20);
    const missing = `policy-missing-${suffix()}`;

    // Act
    const { failed } = await start(t, () => (records) => ({ out: passThrough(missing, records.map((r) => r.value!.toString())), dead: [] }));
    const reason = await failed;

    // Assess
    expect(isFatal(reason)).toBe(true);
    expect(reason).toMatchObject({ code: 'STREAM_PRODUCE_FAILED' });
    expect((reason as Error).message).toMatch(/does not host this topic-partition|unknown topic/i);
    expect((await committedOffsets(t.group, t.input)).get(0) ?? -1n).toBeLessThanOrEqual(0n);
    expect(await readTopic(t.dlq)).toHaveLength(0);
  }, 120_000);
});
