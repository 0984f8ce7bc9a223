import cassandra from 'cassandra-driver';
import { CqlWriter, type AdaptiveConcurrency, type CqlCall, type CqlClient } from '@fleetstream/stream';
import { dayOf, type StoredEvent } from './event.ts';

const POSITION_COLUMNS = [
  'device_id', 'day', 'event_time', 'event_id', 'received_at', 'schema_version', 'lat', 'lon', 'altitude', 'heading', 'speed',
  'satellites', 'priority', 'event_io_id', 'ignition', 'movement', 'external_voltage', 'battery_voltage', 'engine_hours',
  'odometer', 'fuel_level', 'io', 'asset_id', 'customer_id', 'asset_model', 'asset_owner', 'asset_tags', 'enrichment',
] as const;

const LATEST_COLUMNS = [
  'device_id', 'event_time', 'event_id', 'received_at', 'lat', 'lon', 'altitude', 'heading', 'speed', 'satellites', 'ignition',
  'movement', 'external_voltage', 'battery_voltage', 'fuel_level', 'odometer', 'asset_id', 'customer_id', 'asset_model',
  'asset_owner', 'enrichment',
] as const;

const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');

/** io as JSON text: the event model already carries bigints as strings and bytes as {hex}. */
const ioText = (io: Record<string, unknown> | undefined) => (io === undefined ? undefined : JSON.stringify(io));

/**
 * The CQL calls that write enriched events: positions_by_device_day (unlogged batches of at most
 * `maxBatchRows`, each within one (device_id, day) partition), device_days (the day index of the
 * read path) and asset_latest_state (USING TIMESTAMP = event time in µs, newest event of the chunk
 * per device). Every statement is idempotent, so a retry or a replay writes the same cells. The
 * Cassandra sink of libs/stream runs them (prepared, adaptive concurrency, back-off).
 */
export function positionStatements(keyspace: string, maxBatchRows = 16): (events: StoredEvent[]) => CqlCall[] {
  const insertPosition = `INSERT INTO ${keyspace}.positions_by_device_day (${POSITION_COLUMNS.join(', ')}) VALUES (${marks(POSITION_COLUMNS.length)})`;
  const insertDay = `INSERT INTO ${keyspace}.device_days (device_id, day) VALUES (?, ?)`;
  const upsertLatest = `INSERT INTO ${keyspace}.asset_latest_state (${LATEST_COLUMNS.join(', ')}) VALUES (${marks(LATEST_COLUMNS.length)}) USING TIMESTAMP ?`;
  return (events) => {
    const partitions = new Map<string, { deviceId: string; day: string; rows: unknown[][] }>();
    const newest = new Map<string, StoredEvent>();
    for (const e of events) {
      const day = dayOf(e.eventTime);
      const key = `${e.deviceId}\u0000${day}`;
      let p = partitions.get(key);
      if (!p) partitions.set(key, (p = { deviceId: e.deviceId, day, rows: [] }));
      p.rows.push(positionParams(e, day));
      const n = newest.get(e.deviceId);
      if (!n || e.eventTime > n.eventTime || (e.eventTime === n.eventTime && e.eventId > n.eventId)) newest.set(e.deviceId, e);
    }
    const calls: CqlCall[] = [];
    for (const p of partitions.values()) {
      for (let i = 0; i < p.rows.length; i += maxBatchRows) {
        const slice = p.rows.slice(i, i + maxBatchRows);
        calls.push(slice.length === 1 ? { statement: { query: insertPosition, params: slice[0]! }, rows: 1 } : { batch: slice.map((params) => ({ query: insertPosition, params })), rows: slice.length });
      }
      calls.push({ statement: { query: insertDay, params: [p.deviceId, p.day] }, rows: 0 });
    }
    for (const e of newest.values()) calls.push({ statement: { query: upsertLatest, params: latestParams(e) }, rows: 0 });
    return calls;
  };
}

/** Options of {@link PositionWriter}. */
export interface PositionWriterOptions {
  sink: CqlClient;
  keyspace: string;
  concurrency: AdaptiveConcurrency;
  /** Rows per unlogged single-partition batch (keeps batches under Cassandra's size warning). */
  maxBatchRows?: number;
  /** Every retryable failure (overloads included) before it is retried. */
  onRetry?: (err: unknown) => void;
  /** Seconds of each write that succeeded (one statement or batch). */
  onWrite?: (seconds: number, positionRows: number) => void;
  backoff?: { baseMs: number; maxMs: number };
}

/** Writes events outside a stage (the fleetstream CLI, benches): {@link positionStatements} run by a CqlWriter. */
export class PositionWriter {
  readonly #statements: (events: StoredEvent[]) => CqlCall[];
  readonly #writer: CqlWriter;
  constructor(o: PositionWriterOptions) {
    this.#statements = positionStatements(o.keyspace, o.maxBatchRows);
    this.#writer = new CqlWriter({ client: o.sink, concurrency: o.concurrency, backoff: o.backoff, onWrite: o.onWrite, onRetry: o.onRetry });
  }

  /** Resolves when every row of `events` is written; rejects only on a non-retryable error. */
  write(events: StoredEvent[], signal?: AbortSignal): Promise<void> {
    return this.#writer.write(this.#statements(events), signal);
  }
}

function positionParams(e: StoredEvent, day: string): unknown[] {
  const p = e.position;
  const a = e.asset ?? undefined;
  // undefined binds as "unset" (no tombstone), so unknown asset fields (null) become undefined;
  // the order follows POSITION_COLUMNS.
  const u = <T>(v: T | null | undefined) => (v === null ? undefined : v);
  return [
    e.deviceId, day, new Date(e.eventTime), e.eventId, new Date(e.receivedAt), e.schemaVersion, p.lat, p.lon, p.altitude, p.heading,
    p.speed, p.satellites, e.priority, e.eventIoId, e.ignition, e.movement, e.externalVoltage, e.batteryVoltage, e.engineHours,
    e.odometer, e.fuelLevel, ioText(e.io), a?.assetId, u(a?.customerId), u(a?.model), u(a?.owner), a?.tags, e.enrichment,
  ];
}

function latestParams(e: StoredEvent): unknown[] {
  const p = e.position;
  const a = e.asset ?? undefined;
  // null (not unset): the row must show the newest event exactly, not a mix with older cells.
  const n = <T>(v: T | null | undefined) => (v === undefined ? null : v);
  return [
    e.deviceId, new Date(e.eventTime), e.eventId, new Date(e.receivedAt), p.lat, p.lon, n(p.altitude), n(p.heading), n(p.speed),
    n(p.satellites), n(e.ignition), n(e.movement), n(e.externalVoltage), n(e.batteryVoltage), n(e.fuelLevel), n(e.odometer),
    n(a?.assetId), n(a?.customerId), n(a?.model), n(a?.owner), n(e.enrichment),
    cassandra.types.Long.fromNumber(e.eventTime * 1000),
  ];
}
