import cassandra from 'cassandra-driver';
import { CqlWriter, type AdaptiveConcurrency, type CqlCall, type CqlClient, type CqlStatement } from '@fleetstream/stream';
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
 * The CQL calls that write enriched events: unlogged batches, each holding whole devices of the
 * chunk — a device's positions_by_device_day rows, its device_days rows (the day index of the read
 * path) and its asset_latest_state upsert (USING TIMESTAMP = event time in µs, the device's newest
 * event of the chunk). Devices are packed together while a batch stays within `maxBatchStatements`
 * statements and {@link MAX_BATCH_PARTITIONS} partitions; a device with more is cut into batches
 * of its own after `maxBatchStatements` statements (positions first). Every statement is
 * idempotent, so a retry or a replay writes the same cells.
 *
 * Cassandra's cost is per request far more than per row: device_days and asset_latest_state share
 * the partition key (device_id), so Cassandra applies them as one mutation beside the positions
 * partition's, and the pipeline's small chunks (about one event per device) pack ~5 devices per
 * request. Measured at that shape (2,000 devices, 16 writes in flight, devstack, 3 runs each):
 * Cassandra's CPU per event 0.72–0.95 ms with a batch per device, 0.55–0.64 ms with 5 per batch.
 * A batch is not atomic across its partitions, which an idempotent retry covers; on a cluster of
 * more nodes than replicas its partitions may live on other replicas than the coordinator's, which
 * then forwards their mutations (a batch per device already spanned two or three tokens).
 * The Cassandra sink of libs/stream runs them (prepared, adaptive concurrency, back-off).
 *
 * With `days`, a device_days row this process wrote within the last {@link WrittenDays} refresh is
 * not written again: the pipeline's chunks hold about one event per device, so the index row of a
 * device's day was a third of the statements of every event while it changes once a day.
 */
export function positionStatements(keyspace: string, maxBatchStatements = 16, days?: WrittenDays): (events: StoredEvent[]) => CqlCall[] {
  const insertPosition = `INSERT INTO ${keyspace}.positions_by_device_day (${POSITION_COLUMNS.join(', ')}) VALUES (${marks(POSITION_COLUMNS.length)})`;
  const insertDay = `INSERT INTO ${keyspace}.device_days (device_id, day) VALUES (?, ?)`;
  const upsertLatest = `INSERT INTO ${keyspace}.asset_latest_state (${LATEST_COLUMNS.join(', ')}) VALUES (${marks(LATEST_COLUMNS.length)}) USING TIMESTAMP ?`;
  return (events) => {
    const devices = new Map<string, { positions: CqlStatement[]; days: Set<string>; newest: StoredEvent }>();
    for (const e of events) {
      const day = dayOf(e.eventTime);
      let d = devices.get(e.deviceId);
      if (!d) devices.set(e.deviceId, (d = { positions: [], days: new Set(), newest: e }));
      d.positions.push({ query: insertPosition, params: positionParams(e, day) });
      d.days.add(day);
      const n = d.newest;
      if (e.eventTime > n.eventTime || (e.eventTime === n.eventTime && e.eventId > n.eventId)) d.newest = e;
    }
    const calls: CqlCall[] = [];
    // Devices whose statements fit are packed together, up to maxBatchStatements statements and
    // MAX_BATCH_PARTITIONS partitions per batch: Cassandra's cost is per request far more than per
    // row, and the pipeline's chunks hold about one event per device.
    let packed: CqlStatement[] = [];
    let packedRows = 0;
    let packedPartitions = 0;
    const flush = () => {
      if (packed.length > 0) calls.push(packed.length === 1 ? { statement: packed[0]!, rows: packedRows } : { batch: packed, rows: packedRows });
      packed = [];
      packedRows = 0;
      packedPartitions = 0;
    };
    for (const [deviceId, d] of devices) {
      // Positions first: a missing table is then reported as positions_by_device_day's.
      d.positions.sort(byPartition);
      const statements = d.positions.slice();
      let dayRows = 0;
      for (const day of d.days) {
        if (days?.fresh(deviceId, day)) continue;
        statements.push({ query: insertDay, params: [deviceId, day] });
        dayRows = 1;
      }
      statements.push({ query: upsertLatest, params: latestParams(d.newest) });
      const positions = d.positions.length;
      // Partitions: one per day of positions, device_days' and asset_latest_state's (one each).
      const partitions = d.days.size + dayRows + 1;
      if (statements.length <= maxBatchStatements && partitions <= MAX_BATCH_PARTITIONS) {
        if (packed.length + statements.length > maxBatchStatements || packedPartitions + partitions > MAX_BATCH_PARTITIONS) flush();
        packed.push(...statements);
        packedRows += positions;
        packedPartitions += partitions;
        continue;
      }
      for (let i = 0; i < statements.length; i += maxBatchStatements) {
        const slice = statements.slice(i, i + maxBatchStatements);
        const rows = Math.max(0, Math.min(positions, i + maxBatchStatements) - i);
        calls.push(slice.length === 1 ? { statement: slice[0]!, rows } : { batch: slice, rows });
      }
    }
    flush();
    return calls;
  };
}

/**
 * Partitions per packed batch: Cassandra warns of unlogged batches across more
 * (unlogged_batch_across_partitions_warn_threshold, 10).
 */
export const MAX_BATCH_PARTITIONS = 10;

/**
 * The device_days rows (device, day) this process has written, and when: {@link positionStatements}
 * skips a row written less than `refreshMs` ago. Rows are marked only once their chunk was
 * written (the sink's onWritten), so a failed or replayed chunk writes its rows again, and a new
 * process starts empty. The refresh bounds how stale the row's TTL may get against its day's
 * newest position (device_days shares the positions' TTL and expires with the last write): 10
 * minutes by default, nothing against days of TTL. Past `maxEntries` the oldest half is forgotten
 * (those rows are simply written again).
 */
export class WrittenDays {
  readonly #at = new Map<string, number>();
  readonly refreshMs: number;
  readonly maxEntries: number;
  readonly #now: () => number;
  constructor(refreshMs = 600_000, maxEntries = 200_000, now: () => number = Date.now) {
    this.refreshMs = refreshMs;
    this.maxEntries = maxEntries;
    this.#now = now;
  }

  /** True when (deviceId, day) was written less than refreshMs ago. */
  fresh(deviceId: string, day: string): boolean {
    const at = this.#at.get(`${deviceId}\u0000${day}`);
    return at !== undefined && this.#now() - at < this.refreshMs;
  }

  /** Marks the (device, day) rows of written events; a row already fresh keeps its time (so it is refreshed on schedule). */
  written(events: readonly StoredEvent[]): void {
    const now = this.#now();
    for (const e of events) {
      const key = `${e.deviceId}\u0000${dayOf(e.eventTime)}`;
      const at = this.#at.get(key);
      if (at !== undefined && now - at < this.refreshMs) continue;
      this.#at.delete(key); // re-insert: Map order is then oldest write first
      this.#at.set(key, now);
    }
    if (this.#at.size > this.maxEntries) {
      let drop = this.#at.size - (this.maxEntries >> 1);
      for (const key of this.#at.keys()) {
        if (drop-- <= 0) break;
        this.#at.delete(key);
      }
    }
  }

  get size(): number {
    return this.#at.size;
  }
}

/** Orders a device's position statements by day (params[1]), so a cut batch touches as few partitions as it can. */
const byPartition = (a: CqlStatement, b: CqlStatement) => (a.params[1] === b.params[1] ? 0 : String(a.params[1]) < String(b.params[1]) ? -1 : 1);

/** Options of {@link PositionWriter}. */
export interface PositionWriterOptions {
  sink: CqlClient;
  keyspace: string;
  concurrency: AdaptiveConcurrency;
  /** Statements per unlogged batch (keeps batches under Cassandra's size warning). */
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
