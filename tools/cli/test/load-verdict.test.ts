import { parseLoadArgs } from '../src/load/load-options.ts';
import { UsageError } from '../src/errors.ts';
import { aboveIdle, e2eWindow, rssPerService, sustainableRate, verdict, type LoadStep } from '../src/load/load-steps.ts';
import { loadChartSvg } from '../src/load/load-chart.ts';
import { parsePromText } from '../src/demo/prom-text.ts';
import type { Snapshot } from '../src/demo/view.ts';

const lag = (end: number) => ({ parse: { start: 0, end, max: end }, enrich: { start: 0, end: 0, max: 0 }, store: { start: 0, end: 0, max: 0 } });
const e2e = (p99Ms: number | undefined) => ({ count: 10, p50Ms: p99Ms === undefined ? undefined : p99Ms / 2, p99Ms, maxMs: undefined });

describe('the load test verdict', () => {
  test('a step is sustainable only when acked = offered, lag stays under half a second of input and e2e p99 < 1 s', () => {
    // Act
    const ok = verdict({ rate: 1000, offered: 30_000, acked: 29_400, lag: lag(400), e2e: e2e(180) });
    const short = verdict({ rate: 1000, offered: 30_000, acked: 25_000, lag: lag(0), e2e: e2e(180) });
    const behind = verdict({ rate: 1000, offered: 30_000, acked: 30_000, lag: lag(501), e2e: e2e(180) });
    const slow = verdict({ rate: 1000, offered: 30_000, acked: 30_000, lag: lag(0), e2e: e2e(1_000) });
    const nothing = verdict({ rate: 1000, offered: 30_000, acked: 30_000, lag: lag(0), e2e: e2e(undefined) });

    // Assess
    expect(ok).toEqual([]);
    expect(short).toEqual(['acked 25000 < 97 % of offered 30000']);
    expect(behind).toEqual(["lag 501 at the feed's end > 500 (half a second of input)"]);
    expect(slow).toEqual(['e2e p99 1000 ms >= 1000 ms']);
    expect(nothing).toEqual(['no event stored']);
  });

  test('rss-mb-per-service is the highest RSS of each service over the steps and the highest of those, servers and simulator left out', () => {
    // Arrange: store peaks in the first step, gateway in the second; the simulator and Kafka are higher than both
    const steps: Pick<LoadStep, 'rssMb'>[] = [
      { rssMb: { gateway: 120, parse: 110, enrich: 115, store: 149, 'sql-source': 100, simulator: 400, kafka: 900 } },
      { rssMb: { gateway: 141, parse: 112, enrich: 114, store: 140 } },
    ];

    // Act
    const rss = rssPerService(steps);

    // Assess
    expect(rss).toEqual({ maxMb: 149, byService: { gateway: 141, parse: 112, enrich: 115, store: 149, 'sql-source': 100 } });
  });

  test('the sustainable rate is the highest sustainable step, even after a failed one', () => {
    const step = (rate: number, sustainable: boolean) => ({ rate, sustainable }) as LoadStep;
    expect(sustainableRate([step(500, true), step(1000, false), step(2000, true), step(4000, false)])).toBe(2000);
    expect(sustainableRate([step(500, false)])).toBe(0);
  });

  test("e2e quantiles and the max's bucket come from store's histogram between two scrapes", () => {
    // Prepare: 100 events before; in the window 90 more under 50 ms and 10 between 0.5 and 1 s
    const histogram = (b: [string, number][]) => b.map(([le, c]) => `fleetstream_end_to_end_latency_seconds_bucket{service="store",le="${le}"} ${c}`).join('\n');
    const snap = (text: string): Snapshot => ({ at: 0, byService: new Map([['store', parsePromText(text)]]) });
    const before = snap(histogram([['0.05', 100], ['0.5', 100], ['1', 100], ['+Inf', 100]]));
    const after = snap(histogram([['0.05', 190], ['0.5', 190], ['1', 200], ['+Inf', 200]]));

    // Act
    const w = e2eWindow(before, after);

    // Assess
    expect(w.count).toBe(100);
    expect(w.p50Ms).toBeCloseTo(27.8, 1);
    expect(w.p99Ms).toBe(950);
    expect(w.maxMs).toBe(1000);
  });

  test('parses the options and names the bad one', () => {
    expect(parseLoadArgs(['--rates', '500,1000', '--devices', '300', '--step-seconds', '10'])).toMatchObject({ rates: [500, 1000], devices: 300, stepSeconds: 10, recordsPerPacket: 1 });
    expect(() => parseLoadArgs(['--rates', '500,fast'])).toThrow(new UsageError('--rates must be a whole number >= 1, got "fast"'));
    expect(() => parseLoadArgs(['--devices', '0'])).toThrow(UsageError);
    expect(parseLoadArgs(['--env', 'PARTITIONS_CONCURRENCY=4', '--env', 'MAX_RECORDS_PER_BATCH=100']).env).toEqual({ PARTITIONS_CONCURRENCY: '4', MAX_RECORDS_PER_BATCH: '100' });
    expect(() => parseLoadArgs(['--env', 'oops'])).toThrow(new UsageError('--env takes NAME=value, got "oops"'));
    expect(parseLoadArgs([]).idleSeconds).toBe(10);
    expect(parseLoadArgs(['--idle-seconds', '0']).idleSeconds).toBe(0);
    expect(() => parseLoadArgs(['--idle-seconds', '1.5'])).toThrow(new UsageError('--idle-seconds must be a whole number >= 0, got "1.5"'));
    expect(parseLoadArgs([]).warmupSeconds).toBe(20);
    expect(parseLoadArgs(['--warmup-seconds', '0']).warmupSeconds).toBe(0);
    expect(() => parseLoadArgs(['--warmup-seconds', 'soon'])).toThrow(new UsageError('--warmup-seconds must be a whole number >= 0, got "soon"'));
  });

  test('CPU above idle takes off what each process uses with nothing offered over the step, never below zero', () => {
    // Prepare: 20 s, 4,000 events; Kafka idles at 0.1 CPU-s/s, Cassandra at 0.3, the simulator is not running when idle
    const cpu = { kafka: 4, cassandra: 5, simulator: 2, parse: 0.1 };
    const idle = { kafka: 0.1, cassandra: 0.3, parse: 0.01 };
    const perEvent = (s: number) => Math.round((s * 1000 * 1000) / 4000) / 1000;

    // Act
    const above = aboveIdle(cpu, idle, 20, perEvent);

    // Assess: kafka (4 - 2) / 4000 = 0.5 ms, cassandra (5 - 6 -> 0), simulator 2 / 4000, parse (0.1 - 0.2 -> 0)
    expect(above).toEqual({ kafka: 0.5, cassandra: 0, simulator: 0.5, parse: 0, all: 1 });
  });

  test('the chart draws offered, acked, p50 and p99 for every step and marks the sustainable rate', () => {
    const step = (rate: number, acked: number, p99: number) => ({ rate, ackedPerSec: acked, e2e: e2e(p99) }) as LoadStep;
    const svg = loadChartSvg([step(500, 500, 100), step(1000, 1000, 300), step(2000, 1500, 4000)], 1000);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<polyline/g)).toHaveLength(4);
    expect(svg.match(/<circle/g)).toHaveLength(12);
    expect(svg).toContain('sustainable: 1000 events/s');
    expect(svg).toContain('stroke-dasharray');
  });
});
