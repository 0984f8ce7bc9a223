/**
 * The Grafana dashboards, as code. `npm run generate -w @fleetstream/deploy-check` writes them to
 * deploy/grafana/dashboards/*.json (provisioned by Grafana); a test fails when the committed files
 * differ from what this module builds, so edit here, not in the JSON.
 */

/** The datasource the provisioning file declares (deploy/grafana/provisioning/datasources). */
export const DATASOURCE = { type: 'prometheus', uid: 'prometheus' } as const;

/** Services with their own dashboard; `consumes` lists the topics a service reads. */
export const DASHBOARD_SERVICES = [
  {
    name: 'gateway',
    title: 'gateway',
    consumes: [] as string[],
    summary: 'Teltonika TCP and HTTP JSON in, telemetry.raw out.',
  },
  {
    name: 'parse',
    title: 'parse',
    consumes: ['telemetry.raw'],
    summary: 'telemetry.raw -> telemetry.parsed | telemetry.dlq.',
  },
  {
    name: 'enrich',
    title: 'enrich',
    consumes: ['telemetry.parsed', 'reference.assets'],
    summary: 'telemetry.parsed + reference.assets -> telemetry.enriched.',
  },
  {
    name: 'store',
    title: 'store',
    consumes: ['telemetry.enriched'],
    summary: 'telemetry.enriched -> Cassandra, adaptive concurrency.',
  },
  {
    name: 'sql-source',
    title: 'sql-source',
    consumes: [],
    summary: 'Asset register polled -> reference.assets, exactly once.',
  },
  {
    name: 'simulator',
    title: 'simulator',
    consumes: [],
    summary: 'Simulated fleet: load it sends to the gateway.',
  },
] as const;

export interface Target {
  refId: string;
  datasource: typeof DATASOURCE;
  expr: string;
  legendFormat: string;
}

export interface Panel {
  id: number;
  type: string;
  title: string;
  description?: string;
  gridPos: { h: number; w: number; x: number; y: number };
  datasource?: typeof DATASOURCE;
  targets?: Target[];
  fieldConfig?: unknown;
  options?: unknown;
  collapsed?: boolean;
  panels?: Panel[];
}

export interface Dashboard {
  uid: string;
  title: string;
  description: string;
  tags: string[];
  timezone: string;
  editable: boolean;
  graphTooltip: number;
  schemaVersion: number;
  version: number;
  refresh: string;
  time: { from: string; to: string };
  links: unknown[];
  annotations: { list: unknown[] };
  templating: { list: unknown[] };
  panels: Panel[];
}

type Unit = 'ops' | 's' | 'short' | 'bytes' | 'percentunit' | 'none';

interface PanelSpec {
  title: string;
  description: string;
  unit: Unit;
  queries: Array<[expr: string, legend: string]>;
  kind?: 'timeseries' | 'stat';
  width?: number;
  stacked?: boolean;
}

interface Section {
  title: string;
  panels: PanelSpec[];
}

const RATE = '$__rate_interval';

/** Lays sections out on Grafana's 24-column grid: a row header, then panels left to right. */
function layout(sections: Section[]): Panel[] {
  const panels: Panel[] = [];
  let id = 1;
  let y = 0;
  for (const section of sections) {
    panels.push({
      id: id++,
      type: 'row',
      title: section.title,
      collapsed: false,
      gridPos: { h: 1, w: 24, x: 0, y },
      panels: [],
    });
    y += 1;
    let x = 0;
    for (const spec of section.panels) {
      const w = spec.width ?? 12;
      const h = spec.kind === 'stat' ? 4 : 8;
      if (x + w > 24) {
        x = 0;
        y += 8;
      }
      panels.push(panel(id++, spec, { h, w, x, y }));
      x += w;
    }
    y += 8;
  }
  return panels;
}

function panel(id: number, spec: PanelSpec, gridPos: Panel['gridPos']): Panel {
  const targets = spec.queries.map(([expr, legendFormat], i) => ({
    refId: String.fromCharCode(65 + i),
    datasource: DATASOURCE,
    expr,
    legendFormat,
  }));
  if (spec.kind === 'stat') {
    return {
      id,
      type: 'stat',
      title: spec.title,
      description: spec.description,
      gridPos,
      datasource: DATASOURCE,
      targets,
      fieldConfig: {
        defaults: {
          unit: spec.unit,
          mappings: [],
          thresholds: {
            mode: 'absolute',
            steps: [
              { color: 'red', value: null },
              { color: 'green', value: 1 },
            ],
          },
        },
        overrides: [],
      },
      options: {
        reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
        colorMode: 'background',
        graphMode: 'none',
        textMode: 'value_and_name',
        orientation: 'horizontal',
      },
    };
  }
  return {
    id,
    type: 'timeseries',
    title: spec.title,
    description: spec.description,
    gridPos,
    datasource: DATASOURCE,
    targets,
    fieldConfig: {
      defaults: {
        unit: spec.unit,
        min: 0,
        custom: {
          drawStyle: 'line',
          lineWidth: 1,
          fillOpacity: spec.stacked ? 30 : 10,
          showPoints: 'never',
          stacking: { mode: spec.stacked ? 'normal' : 'none', group: 'A' },
        },
      },
      overrides: [],
    },
    options: {
      legend: { displayMode: 'table', placement: 'bottom', calcs: ['lastNotNull', 'max'] },
      tooltip: { mode: 'multi', sort: 'desc' },
    },
  };
}

function dashboard(
  uid: string,
  title: string,
  description: string,
  sections: Section[],
): Dashboard {
  return {
    uid,
    title,
    description,
    tags: ['fleetstream'],
    timezone: 'browser',
    editable: true,
    graphTooltip: 1,
    schemaVersion: 39,
    version: 1,
    refresh: '10s',
    time: { from: 'now-30m', to: 'now' },
    links: [
      {
        type: 'dashboards',
        title: 'fleetstream',
        tags: ['fleetstream'],
        asDropdown: true,
        includeVars: false,
        keepTime: true,
      },
    ],
    annotations: { list: [] },
    templating: { list: [] },
    panels: layout(sections),
  };
}

const quantiles = (
  metric: string,
  by: string,
  selector: string,
  legendSuffix: string,
): Array<[string, string]> =>
  (['0.5', '0.95', '0.99'] as const).map((q) => [
    `histogram_quantile(${q}, sum by (${by}) (rate(${metric}_bucket${selector}[${RATE}])))`,
    `p${Number(q) * 100}${legendSuffix}`,
  ]);

/** The pipeline overview: every service on one page. */
export function overviewDashboard(): Dashboard {
  return dashboard(
    'fleetstream-overview',
    'fleetstream / pipeline overview',
    'Rates, lag, dead letters, latency and back-pressure of every fleetstream service.',
    [
      {
        title: 'Throughput',
        panels: [
          {
            title: 'Services up',
            description: 'One per scrape target: 1 = the service answers /metrics.',
            unit: 'none',
            kind: 'stat',
            width: 24,
            queries: [['sum by (service) (up{job="fleetstream"})', '{{service}}']],
          },
          {
            title: 'Records in per second',
            description: 'Records each service takes in, by service.',
            unit: 'ops',
            queries: [
              [`sum by (service) (rate(fleetstream_records_in_total[${RATE}]))`, '{{service}}'],
            ],
          },
          {
            title: 'Records out per second',
            description: 'Records each service emits, by service and destination topic (or sink).',
            unit: 'ops',
            queries: [
              [
                `sum by (service, topic) (rate(fleetstream_records_out_total[${RATE}]))`,
                '{{service}} -> {{topic}}',
              ],
            ],
          },
        ],
      },
      {
        title: 'Lag and dead letters',
        panels: [
          {
            title: 'Consumer lag by topic and partition',
            description: 'End offset minus the next offset to process, read from the broker every LAG_INTERVAL_MS.',
            unit: 'short',
            queries: [
              [
                'max by (service, topic, partition) (fleetstream_consumer_lag)',
                '{{service}} {{topic}}[{{partition}}]',
              ],
            ],
          },
          {
            title: 'Consumer lag by service and topic',
            description: 'Sum over partitions.',
            unit: 'short',
            queries: [
              ['sum by (service, topic) (fleetstream_consumer_lag)', '{{service}} {{topic}}'],
            ],
          },
          {
            title: 'Dead letters per second by reason',
            description:
              'Records sent to telemetry.dlq; any is worth a look (alert FleetstreamDeadLetters).',
            unit: 'ops',
            stacked: true,
            queries: [
              [
                `sum by (service, reason) (rate(fleetstream_dlq_total[${RATE}]))`,
                '{{service}}: {{reason}}',
              ],
            ],
          },
          {
            title: 'Committed offsets per second',
            description:
              'How fast committed offsets advance: flat while lag grows means a stuck partition.',
            unit: 'ops',
            queries: [
              [
                `sum by (service, topic) (deriv(fleetstream_committed_offset[${RATE}]))`,
                '{{service}} {{topic}}',
              ],
            ],
          },
        ],
      },
      {
        title: 'Latency',
        panels: [
          {
            title: 'End-to-end latency (gateway -> Cassandra)',
            description:
              'receivedAt at the gateway to the Cassandra write, at store. Objective: p99 < 5 s.',
            unit: 's',
            queries: quantiles(
              'fleetstream_end_to_end_latency_seconds',
              'le',
              '{service="store"}',
              '',
            ),
          },
          {
            title: 'End-to-end latency p99 by service',
            description: 'receivedAt to emitted, as each stage sees it.',
            unit: 's',
            queries: [
              [
                `histogram_quantile(0.99, sum by (service, le) (rate(fleetstream_end_to_end_latency_seconds_bucket[${RATE}])))`,
                '{{service}}',
              ],
            ],
          },
          {
            title: 'Stage duration p99',
            description: 'Time a batch or call spends in a stage.',
            unit: 's',
            queries: [
              [
                `histogram_quantile(0.99, sum by (service, stage, le) (rate(fleetstream_stage_duration_seconds_bucket[${RATE}])))`,
                '{{service}} {{stage}}',
              ],
            ],
          },
          {
            title: 'Record wait p99 by service (fetch, handle)',
            description:
              'Time since a record was produced: when the consumer got it (fetch) and when its chunk reached the handler (handle). The gap is time queued inside the consumer.',
            unit: 's',
            queries: [
              [
                `histogram_quantile(0.99, sum by (service, stage, le) (rate(fleetstream_record_wait_seconds_bucket[${RATE}])))`,
                '{{service}} {{stage}}',
              ],
            ],
          },
          {
            title: 'In flight by stage',
            description: 'Records or calls in flight.',
            unit: 'short',
            queries: [['sum by (service, stage) (fleetstream_inflight)', '{{service}} {{stage}}']],
          },
        ],
      },
      {
        title: 'Cassandra',
        panels: [
          {
            title: 'Cassandra write latency',
            description: 'Per write, at store.',
            unit: 's',
            queries: quantiles('fleetstream_store_write_latency_seconds', 'le', '', ''),
          },
          {
            title: 'Sink concurrency',
            description: 'The adaptive concurrency limit (AIMD) of each sink.',
            unit: 'short',
            queries: [['sum by (service) (fleetstream_sink_concurrency)', '{{service}}']],
          },
          {
            title: 'Rows written per second',
            description: 'Cassandra rows written by store.',
            unit: 'ops',
            queries: [[`sum(rate(fleetstream_store_rows_written_total[${RATE}]))`, 'rows']],
          },
          {
            title: 'Overload errors per second',
            description:
              'Write timeouts, overloaded, unavailable: each one halves the concurrency.',
            unit: 'ops',
            queries: [
              [`sum(rate(fleetstream_store_overload_errors_total[${RATE}]))`, 'overload errors'],
            ],
          },
        ],
      },
      {
        title: 'Back-pressure and async calls',
        panels: [
          {
            title: 'Throttle wait (share of time)',
            description: 'Seconds per second the consumer waited on its throttle or in-flight cap.',
            unit: 'percentunit',
            queries: [
              [
                `sum by (service) (rate(fleetstream_throttle_wait_seconds_total[${RATE}]))`,
                '{{service}}',
              ],
            ],
          },
          {
            title: 'Async timeouts and retries per second',
            description: 'Async operator calls past their deadline, and retries.',
            unit: 'ops',
            queries: [
              [
                `sum by (service) (rate(fleetstream_async_timeouts_total[${RATE}]))`,
                '{{service}} timeouts',
              ],
              [
                `sum by (service) (rate(fleetstream_async_retries_total[${RATE}]))`,
                '{{service}} retries',
              ],
            ],
          },
        ],
      },
      {
        title: 'Processes',
        panels: [
          {
            title: 'Resident memory',
            description: 'Per process.',
            unit: 'bytes',
            queries: [
              [
                'sum by (service, instance) (process_resident_memory_bytes{job="fleetstream"})',
                '{{service}} {{instance}}',
              ],
            ],
          },
          {
            title: 'Event loop lag p99',
            description: 'A busy or blocked event loop shows here first.',
            unit: 's',
            queries: [
              [
                'max by (service, instance) (nodejs_eventloop_lag_p99_seconds{job="fleetstream"})',
                '{{service}} {{instance}}',
              ],
            ],
          },
        ],
      },
    ],
  );
}

/** The sections every stream service's dashboard has: throughput, latency and back-pressure. */
function streamSections(s: string, up: PanelSpec): Section[] {
  return [
    {
      title: 'Throughput',
      panels: [
        up,
        {
          title: 'Records in per second by topic',
          description: 'Records taken in, by source topic.',
          unit: 'ops',
          queries: [
            [`sum by (topic) (rate(fleetstream_records_in_total{${s}}[${RATE}]))`, '{{topic}}'],
          ],
        },
        {
          title: 'Records out per second by topic',
          description: 'Records emitted, by destination topic (or sink).',
          unit: 'ops',
          queries: [
            [`sum by (topic) (rate(fleetstream_records_out_total{${s}}[${RATE}]))`, '{{topic}}'],
          ],
        },
        {
          title: 'Dead letters per second by reason',
          description: 'Records this service sent to telemetry.dlq.',
          unit: 'ops',
          stacked: true,
          queries: [[`sum by (reason) (rate(fleetstream_dlq_total{${s}}[${RATE}]))`, '{{reason}}']],
        },
        {
          title: 'Consumer lag by topic and partition',
          description: 'End offset minus the next offset to process, read from the broker every LAG_INTERVAL_MS.',
          unit: 'short',
          queries: [
            [
              `max by (topic, partition) (fleetstream_consumer_lag{${s}})`,
              '{{topic}}[{{partition}}]',
            ],
          ],
        },
      ],
    },
    {
      title: 'Latency and back-pressure',
      panels: [
        {
          title: 'Stage duration',
          description: 'p50 and p99 per stage.',
          unit: 's',
          queries: [
            [
              `histogram_quantile(0.5, sum by (stage, le) (rate(fleetstream_stage_duration_seconds_bucket{${s}}[${RATE}])))`,
              'p50 {{stage}}',
            ],
            [
              `histogram_quantile(0.99, sum by (stage, le) (rate(fleetstream_stage_duration_seconds_bucket{${s}}[${RATE}])))`,
              'p99 {{stage}}',
            ],
          ],
        },
        {
          title: 'End-to-end latency',
          description: 'receivedAt at the gateway to emitted (or stored) here.',
          unit: 's',
          queries: quantiles('fleetstream_end_to_end_latency_seconds', 'le', `{${s}}`, ''),
        },
        {
          title: 'Record wait (fetch, handle)',
          description:
            'Time since a record was produced: when the consumer got it (fetch) and when its chunk reached the handler (handle); p50 and p99.',
          unit: 's',
          queries: [
            [
              `histogram_quantile(0.5, sum by (stage, le) (rate(fleetstream_record_wait_seconds_bucket{${s}}[${RATE}])))`,
              'p50 {{stage}}',
            ],
            [
              `histogram_quantile(0.99, sum by (stage, le) (rate(fleetstream_record_wait_seconds_bucket{${s}}[${RATE}])))`,
              'p99 {{stage}}',
            ],
          ],
        },
        {
          title: 'In flight by stage',
          description: 'Records or calls in flight.',
          unit: 'short',
          queries: [[`sum by (stage) (fleetstream_inflight{${s}})`, '{{stage}}']],
        },
        {
          title: 'Sink concurrency',
          description: 'The adaptive concurrency limit of the sink.',
          unit: 'short',
          queries: [[`sum(fleetstream_sink_concurrency{${s}})`, 'limit']],
        },
        {
          title: 'Throttle wait (share of time)',
          description: 'Seconds per second waited on the throttle or the in-flight cap.',
          unit: 'percentunit',
          queries: [
            [`sum(rate(fleetstream_throttle_wait_seconds_total{${s}}[${RATE}]))`, 'waiting'],
          ],
        },
        {
          title: 'Async timeouts and retries per second',
          description: 'Async operator calls past their deadline, and retries.',
          unit: 'ops',
          queries: [
            [`sum(rate(fleetstream_async_timeouts_total{${s}}[${RATE}]))`, 'timeouts'],
            [`sum(rate(fleetstream_async_retries_total{${s}}[${RATE}]))`, 'retries'],
          ],
        },
      ],
    },
  ];
}

/** The simulator's feed: what it sent, what the gateway acknowledged, errors and resends. */
function simulatorPanels(s: string): PanelSpec[] {
  return [
    {
      title: 'Packets sent and acknowledged per second',
      description:
        'Packets (TCP) and requests (HTTP) written, resends included, and acknowledged by the gateway.',
      unit: 'ops',
      queries: [
        [
          `sum by (protocol) (rate(fleetstream_simulator_sent_total{${s}}[${RATE}]))`,
          'sent {{protocol}}',
        ],
        [
          `sum by (protocol) (rate(fleetstream_simulator_acked_total{${s}}[${RATE}]))`,
          'acked {{protocol}}',
        ],
      ],
    },
    {
      title: 'Records acknowledged per second',
      description:
        'AVL records (events) in the acknowledged packets: what the pipeline should store.',
      unit: 'ops',
      queries: [
        [
          `sum by (protocol) (rate(fleetstream_simulator_records_total{${s}}[${RATE}]))`,
          '{{protocol}}',
        ],
      ],
    },
    {
      title: 'Errors per second by code',
      description: 'Failed attempts: ack timeouts, refused or closed connections, HTTP rejections.',
      unit: 'ops',
      stacked: true,
      queries: [
        [`sum by (code) (rate(fleetstream_simulator_errors_total{${s}}[${RATE}]))`, '{{code}}'],
      ],
    },
    {
      title: 'Resent and given up per second',
      description:
        'Packets sent again after a lost ack or a failure (each may leave a duplicate), and packets given up.',
      unit: 'ops',
      queries: [
        [`sum(rate(fleetstream_simulator_resent_total{${s}}[${RATE}]))`, 'resent'],
        [`sum(rate(fleetstream_simulator_failed_total{${s}}[${RATE}]))`, 'given up'],
      ],
    },
    {
      title: 'Devices',
      description: 'Simulated devices in the running fleet.',
      unit: 'short',
      width: 24,
      queries: [[`sum(fleetstream_simulator_devices{${s}})`, 'devices']],
    },
  ];
}

/** One service's dashboard: the common panels filtered to it, plus its own metrics. */
export function serviceDashboard(service: (typeof DASHBOARD_SERVICES)[number]): Dashboard {
  const s = `service="${service.name}"`;
  const up: PanelSpec = {
    title: 'Up',
    description: '1 per instance that answers /metrics.',
    unit: 'none',
    kind: 'stat',
    width: 24,
    queries: [[`up{job="fleetstream", ${s}}`, '{{instance}}']],
  };
  // The simulator is a load generator, not a stream service: it has its own account of the feed.
  const sections: Section[] =
    service.name === 'simulator'
      ? [{ title: 'Feed', panels: [up, ...simulatorPanels(s)] }]
      : streamSections(s, up);
  if (service.name === 'store') {
    sections.push({
      title: 'Cassandra',
      panels: [
        {
          title: 'Write latency',
          description: 'Per Cassandra write.',
          unit: 's',
          queries: quantiles('fleetstream_store_write_latency_seconds', 'le', `{${s}}`, ''),
        },
        {
          title: 'Rows written and overload errors per second',
          description: 'Overload errors (timeouts, overloaded, unavailable) lower the concurrency.',
          unit: 'ops',
          queries: [
            [`sum(rate(fleetstream_store_rows_written_total{${s}}[${RATE}]))`, 'rows'],
            [
              `sum(rate(fleetstream_store_overload_errors_total{${s}}[${RATE}]))`,
              'overload errors',
            ],
          ],
        },
      ],
    });
  }
  if (service.name === 'enrich') {
    sections.push({
      title: 'Asset lookups',
      panels: [
        {
          title: 'Lookups per second by source',
          description:
            'Where asset details came from: the reference.assets table, the cache, the remote API, or a coalesced in-flight call.',
          unit: 'ops',
          stacked: true,
          width: 24,
          queries: [
            [`sum(rate(fleetstream_enrich_table_hits_total{${s}}[${RATE}]))`, 'table'],
            [`sum(rate(fleetstream_enrich_cache_hits_total{${s}}[${RATE}]))`, 'cache'],
            [`sum(rate(fleetstream_enrich_remote_calls_total{${s}}[${RATE}]))`, 'remote'],
            [`sum(rate(fleetstream_enrich_coalesced_total{${s}}[${RATE}]))`, 'coalesced'],
          ],
        },
        {
          title: 'Asset API calls in flight (mean)',
          description:
            "Summed call time per second, which is the mean number of calls in flight (Little's law). Close to ENRICH_CAPACITY, the API's latency bounds enrich's remote throughput.",
          unit: 'short',
          queries: [
            [`sum(rate(fleetstream_enrich_remote_call_seconds_total{${s}}[${RATE}]))`, 'in flight'],
          ],
        },
        {
          title: 'Asset API round trip (mean)',
          description:
            "Time per asset API call as enrich sees it: the API, the network and enrich's own event loop.",
          unit: 's',
          queries: [
            [
              `sum(rate(fleetstream_enrich_remote_call_seconds_total{${s}}[${RATE}])) / sum(rate(fleetstream_enrich_remote_calls_total{${s}}[${RATE}]))`,
              'round trip',
            ],
          ],
        },
      ],
    });
  }
  sections.push({
    title: 'Process',
    panels: [
      {
        title: 'Resident memory',
        description: 'Per instance.',
        unit: 'bytes',
        queries: [[`process_resident_memory_bytes{job="fleetstream", ${s}}`, '{{instance}}']],
      },
      {
        title: 'Event loop lag p99 and CPU',
        description: 'Event loop lag (s) and CPU seconds per second.',
        unit: 's',
        queries: [
          [`nodejs_eventloop_lag_p99_seconds{job="fleetstream", ${s}}`, 'loop lag {{instance}}'],
          [`rate(process_cpu_seconds_total{job="fleetstream", ${s}}[${RATE}])`, 'cpu {{instance}}'],
        ],
      },
    ],
  });
  return dashboard(
    `fleetstream-${service.name}`,
    `fleetstream / ${service.title}`,
    `${service.summary} Consumes: ${service.consumes.join(', ') || 'no topic'}.`,
    sections,
  );
}

/** Every dashboard, by file name. */
export function buildDashboards(): Record<string, Dashboard> {
  const out: Record<string, Dashboard> = { 'pipeline-overview.json': overviewDashboard() };
  for (const service of DASHBOARD_SERVICES) out[`${service.name}.json`] = serviceDashboard(service);
  return out;
}

/** The file text of a dashboard as committed (2-space JSON, trailing newline). */
export function dashboardText(d: Dashboard): string {
  return `${JSON.stringify(d, null, 2)}\n`;
}

/** Every PromQL query of a dashboard (any panel, nested rows included), with its panel title. */
export function dashboardQueries(d: {
  panels?: unknown[];
}): Array<{ panel: string; expr: string }> {
  const out: Array<{ panel: string; expr: string }> = [];
  const visit = (panels: unknown[] | undefined) => {
    for (const p of panels ?? []) {
      const pp = p as { title?: string; targets?: Array<{ expr?: string }>; panels?: unknown[] };
      for (const t of pp.targets ?? [])
        if (typeof t.expr === 'string') out.push({ panel: pp.title ?? '(untitled)', expr: t.expr });
      visit(pp.panels);
    }
  };
  visit(d.panels);
  return out;
}
