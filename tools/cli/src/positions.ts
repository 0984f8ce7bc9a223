/**
 * `fleetstream positions <deviceId>`: a device's stored positions, newest first.
 *
 *     fleetstream positions <deviceId> [--from <iso|ms>] [--to <iso|ms>] [--limit N] [--json]
 *
 * Environment: CASSANDRA_CONTACT_POINTS, CASSANDRA_KEYSPACE (default fleetstream), CASSANDRA_LOCAL_DC
 * (default datacenter1), CASSANDRA_USERNAME/PASSWORD. Exit codes: 0 done, 1 a failed run, 2 bad input.
 */
import { parseArgs } from 'node:util';
import { readPositions, type PositionRow } from '@fleetstream/store/lib';
import { cassandraConfigFromEnv, cassandraFromEnv } from './connections.ts';
import { formatTable } from './format-table.ts';
import { UsageError } from './errors.ts';

const USAGE = `usage: fleetstream positions <deviceId> [--from <iso|ms>] [--to <iso|ms>] [--limit N] [--json]
  --from, --to   time range (inclusive), ISO 8601 or epoch milliseconds
  --limit        at most N positions, newest first (default 50)
  --json         one JSON object per line instead of a table
environment: CASSANDRA_CONTACT_POINTS, CASSANDRA_KEYSPACE, CASSANDRA_LOCAL_DC,
  CASSANDRA_USERNAME/CASSANDRA_PASSWORD, CASSANDRA_SSL, CASSANDRA_SSL_CA_FILE (as the store reads them)`;


/** ISO 8601 or epoch ms to ms; throws UsageError naming the option. */
function parseTime(option: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const ms = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(ms)) throw new UsageError(`--${option} must be an ISO 8601 time or epoch milliseconds, got "${v}"`);
  return ms;
}

const cell = (v: number | boolean | string | null, digits?: number) => (v === null ? '-' : typeof v === 'number' && digits !== undefined ? v.toFixed(digits) : String(v));

const toRow = (p: PositionRow) => [
  p.eventTime.toISOString(), cell(p.lat, 6), cell(p.lon, 6), cell(p.speed, 1), cell(p.heading, 0),
  p.ignition === null ? '-' : p.ignition ? 'on' : 'off', cell(p.assetId), cell(p.enrichment),
];

/** Entry of the verb; returns the exit code. */
export async function runPositions(args: string[]): Promise<number> {
  let deviceId: string;
  let from: number | undefined;
  let to: number | undefined;
  let limit: number;
  let json: boolean;
  let cassandraConfig: ReturnType<typeof cassandraConfigFromEnv>;
  try {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { from: { type: 'string' }, to: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (positionals.length !== 1 || !positionals[0]) throw new UsageError('expected exactly one device id');
    deviceId = positionals[0];
    from = parseTime('from', values.from);
    to = parseTime('to', values.to);
    if (from !== undefined && to !== undefined && from > to) throw new UsageError('--from is after --to');
    limit = values.limit === undefined ? 50 : Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100_000) throw new UsageError(`--limit must be an integer between 1 and 100000, got "${values.limit}"`);
    json = values.json === true;
    cassandraConfig = cassandraConfigFromEnv();
  } catch (err) {
    process.stderr.write(`fleetstream positions: ${err instanceof Error ? err.message : String(err)}\n${USAGE}\n`);
    return 2;
  }
  const keyspace = cassandraConfig.CASSANDRA_KEYSPACE;
  let client: ReturnType<typeof cassandraFromEnv>;
  try {
    client = cassandraFromEnv(cassandraConfig);
  } catch (err) {
    process.stderr.write(`fleetstream positions: ${(err as Error).message}\n`);
    return 2;
  }
  try {
    await client.connect();
    const rows = await readPositions(client, keyspace, { deviceId, from, to, limit });
    if (json) {
      process.stdout.write(rows.map((r) => JSON.stringify({ ...r, eventTime: r.eventTime.toISOString() })).join('\n') + (rows.length > 0 ? '\n' : ''));
    } else if (rows.length === 0) {
      process.stdout.write(`no positions for ${deviceId}\n`);
    } else {
      process.stdout.write(formatTable(['EVENT TIME', 'LAT', 'LON', 'SPEED', 'HEADING', 'IGNITION', 'ASSET', 'ENRICHMENT'], rows.map(toRow)));
    }
    return 0;
  } catch (err) {
    process.stderr.write(`fleetstream positions: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  } finally {
    await client.shutdown().catch(() => undefined);
  }
}
