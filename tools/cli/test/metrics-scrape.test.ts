// @servers kafka cassandra postgresql
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMetricsCatalog, scrapeProblems } from '@fleetstream/deploy-check';
import { Supervisor } from '../src/demo/supervisor.ts';
import { startPipeline, type PipelinePorts } from '../src/demo/pipeline.ts';

/** Ports apart from the demo's and chaos', so a demo can run beside this test. */
const ports: PipelinePorts = { sqlSource: 19501, parse: 19502, enrich: 19503, store: 19504, gateway: 19505, stub: 18093, tcp: 15029, http: 18083 };

describe('the metrics the dashboards and alerts use (deploy/metrics.json)', () => {
  test('are exported by the real services: a /metrics scrape of each running service matches the catalog', async () => {
    // Prepare: the whole pipeline as separate processes
    const supervisor = new Supervisor(mkdtempSync(join(tmpdir(), 'metrics-scrape-')));
    const problems: string[] = [];
    try {
      const pipeline = await startPipeline(supervisor, {
        kafkaBrokers: process.env.KAFKA_BROKERS ?? '127.0.0.1:19092',
        cassandraContactPoints: process.env.CASSANDRA_CONTACT_POINTS ?? '127.0.0.1:19042',
        pgUrl: process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
        devices: 5,
        ports,
        logLevel: 'warn',
      });
      const catalog = loadMetricsCatalog();

      // Act
      for (const [service, port] of Object.entries(pipeline.metricPorts)) {
        const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        problems.push(...scrapeProblems(catalog, text, service));
      }
    } finally {
      await supervisor.stopAll(15_000);
    }

    // Assess
    expect(problems).toEqual([]);
  }, 240_000);
});
