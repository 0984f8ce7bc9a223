import { pipelineView, renderView, type Snapshot } from '../src/demo/view.ts';
import { parsePromText } from '../src/demo/prom-text.ts';

/** A snapshot from Prometheus text per service, as a scrape of /metrics gives it. */
function snapshot(at: number, texts: Record<string, string>): Snapshot {
  return { at, byService: new Map(Object.entries(texts).map(([service, text]) => [service, parsePromText(text)])) };
}

describe('the demo live view', () => {
  test('the gateway row counts the packets and HTTP requests it received, a consumer row the records it read', () => {
    // Prepare: 10 s apart; the gateway took 200 TCP packets (190 acked, 6 rejected, 4 to the DLQ) and 50 HTTP requests, and produced 240 raw records
    const gateway = (packets: [number, number, number], http: number, out: number) =>
      [
        `fleetstream_gateway_packets_total{service="gateway",result="acked"} ${packets[0]}`,
        `fleetstream_gateway_packets_total{service="gateway",result="rejected"} ${packets[1]}`,
        `fleetstream_gateway_packets_total{service="gateway",result="dlq"} ${packets[2]}`,
        `fleetstream_gateway_http_requests_total{service="gateway",status="202"} ${http}`,
        `fleetstream_records_out_total{service="gateway",topic="telemetry.raw"} ${out}`,
      ].join('\n');
    const parse = (inn: number, out: number) =>
      [`fleetstream_records_in_total{service="parse",topic="telemetry.raw"} ${inn}`, `fleetstream_records_out_total{service="parse",topic="telemetry.parsed"} ${out}`, `fleetstream_consumer_lag{service="parse",topic="telemetry.raw",partition="0"} 7`].join('\n');
    const before = snapshot(0, { gateway: gateway([10, 0, 0], 0, 10), parse: parse(5, 25) });
    const after = snapshot(10_000, { gateway: gateway([200, 6, 4], 50, 250), parse: parse(245, 1_225) });

    // Act
    const view = pipelineView(before, after);
    const text = renderView(view, '');

    // Assess
    expect(view.rows).toEqual([
      { service: 'gateway', inPerSec: 25, inUnit: 'packets', outPerSec: 24, lag: 0, dlq: 0 },
      { service: 'parse', inPerSec: 24, inUnit: 'records', outPerSec: 120, lag: 7, dlq: 0 },
    ]);
    expect(text).toContain('gateway          25.0 packets      24.0');
    expect(text).toContain('parse            24.0 records       120');
  });
});
