import { TraceStore, type CollectedSpan } from '@fleetstream/trace-collector';
import { renderTrace, sampleTrace } from '../src/demo/trace-view.ts';

const span = (traceId: string, service: string, spanId: string, parentSpanId: string, name: string, startMs: number, endMs: number): CollectedSpan => ({
  traceId, spanId, parentSpanId, name, serviceName: service, traceState: '', kind: 1,
  startTimeUnixNano: BigInt(startMs * 1000) * 1000n, endTimeUnixNano: BigInt(endMs * 1000) * 1000n,
  attributes: {}, events: [], status: { code: 0, message: '' }, resource: { 'service.name': service }, scope: { name: 'test', version: '' },
});

describe('the demo sample trace', () => {
  test('is the trace that reached every stage, shown as hops with start offsets, durations and depth', () => {
    // Prepare: a complete trace, then a newer one that only reached parse
    const store = new TraceStore({ maxTraces: 10, maxSpansPerTrace: 10 });
    const full = 'ab'.repeat(16);
    store.add([
      span(full, 'gateway', '01'.repeat(8), '', 'gateway tcp packet', 1000, 1002),
      span(full, 'parse', '02'.repeat(8), '01'.repeat(8), 'parse chunk', 1010, 1013.5),
      span(full, 'enrich', '03'.repeat(8), '02'.repeat(8), 'enrich chunk', 1020, 1045),
      span(full, 'enrich', '04'.repeat(8), '03'.repeat(8), 'GET', 1021, 1041),
      span(full, 'store', '05'.repeat(8), '03'.repeat(8), 'store chunk', 1050, 1058),
    ]);
    store.add([span('cd'.repeat(16), 'parse', '06'.repeat(8), '', 'parse chunk', 2000, 2001)]);

    // Act
    const sample = sampleTrace(store)!;
    const text = renderTrace(sample);

    // Assess
    expect(sample.traceId).toBe(full);
    expect(sample.durationMs).toBe(58);
    expect(text.split('\n')).toEqual([
      `sample trace ${full} (58.0 ms from the gateway's first span to the last span's end):`,
      'SERVICE  SPAN                START MS  DURATION MS',
      'gateway  gateway tcp packet  +0.0      2.0',
      'parse      parse chunk       +10.0     3.5',
      'enrich       enrich chunk    +20.0     25.0',
      'enrich         GET           +21.0     20.0',
      'store          store chunk   +50.0     8.0',
      '',
    ]);
  });

  test('is absent when no span arrived', () => {
    expect(sampleTrace(new TraceStore({ maxTraces: 1, maxSpansPerTrace: 1 }))).toBeUndefined();
  });
});
