import cassandra from 'cassandra-driver';
import type { AdaptiveConcurrency } from '@fleetstream/stream';
import { dayOf, type StoredEvent } from './event.ts';
import { runWithOverloadRetry } from './overload.ts';

/** The part of cassandra-driver's Client the writer uses (a fake in unit tests). */
export interface CqlSink {
  execute(query: string, params: unknown[], options: cassandra.QueryOptions): Promise<unknown>;
  batch(queries: { query: string; params: unknown[] }[], options: cassandra.QueryOptions): Promise<unknown>;
}

/** Options of {@link PositionWriter}. */
export interface PositionWriterOptions {
  sink: CqlSink;
  keyspace: string;
  concurrency: AdaptiveConcurrency;
  /** Rows per unlogged single-partition batch (keeps batches under Cassandra's size warning). */
  maxBatchRows?: number;
  onOverload?: (err: unknown) => void;
  /** Seconds of each write that succeeded (one statement or batch). */
  onWrite?: (seconds: number, positionRows: number) => void;
  backoff?: { baseMs: number; maxMs: number };
}

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
const WRITE_OPTIONS: cassandra.QueryOptions = { prepare: true, isIdempotent: true };

/** io as JSON text: the event model already carries bigints as strings and bytes as {hex}. */
const ioText = (io: Record<string, unknown> | undefined) => (io === undefined ? undefined : JSON.stringify(io));

/**
 * Writes enriched events to Cassandra: positions_by_device_day (unlogged batches, each within one
 * (device_id, day) partition), device_days (the day index of the read path) and asset_latest_state
 * (USING TIMESTAMP = event time in µs, newest event of the chunk per device). Every statement is
 * prepared and idempotent, so a retry or a replay writes the same cells; every call runs under the
 * adaptive concurrency and is retried on overload (see {@link runWithOverloadRetry}).
 */
export class PositionWriter {
  readonly #o: PositionWriterOptions;
  readonly #insertPosition: string;
  readonly #insertDay: string;
  readonly #upsertLatest: string;
  readonly #maxBatchRows: number;

  constructor(options: PositionWriterOptions) {
    this.#o = options;
    const ks = options.keyspace;
    this.#maxBatchRows = options.maxBatchRows ?? 16;
    this.#insertPosition = `INSERT INTO ${ks}.positions_by_device_day (${POSITION_COLUMNS.join(', ')}) VALUES (${marks(POSITION_COLUMNS.length)})`;
    this.#insertDay = `INSERT INTO ${ks}.device_days (device_id, day) VALUES (?, ?)`;
    this.#upsertLatest = `INSERT INTO ${ks}.asset_latest_state (${LATEST_COLUMNS.join(', ')}) VALUES (${marks(LATEST_COLUMNS.length)}) USING TIMESTAMP ?`;
  }

  /** Resolves when every row of `events` is written; rejects only on a non-overload error. */
  async write(events: StoredEvent[], signal?: AbortSignal): Promise<void> {
    if (events.length === 0) return;
    const partitions = new Map<string, { deviceId: string; day: string; rows: unknown[][] }>();
    const newest = new Map<string, StoredEvent>();
    for (const e of events) {
      const day = dayOf(e.eventTime);
      const key = `${e.deviceId}\u0000${day}`;
      let p = partitions.get(key);
      if (!p) partitions.set(key, (p = { deviceId: e.deviceId, day, rows: [] }));
      p.rows.push(this.#positionParams(e, day));
      const n = newest.get(e.deviceId);
      if (!n || e.eventTime > n.eventTime || (e.eventTime === n.eventTime && e.eventId > n.eventId)) newest.set(e.deviceId, e);
    }
    const calls: Promise<void>[] = [];
    for (const p of partitions.values()) {
      for (let i = 0; i < p.rows.length; i += this.#maxBatchRows) {
        const slice = p.rows.slice(i, i + this.#maxBatchRows);
        calls.push(this.#run(slice.length, signal, () =>
          slice.length === 1
            ? this.#o.sink.execute(this.#insertPosition, slice[0]!, WRITE_OPTIONS)
            : this.#o.sink.batch(slice.map((params) => ({ query: this.#insertPosition, params })), { ...WRITE_OPTIONS, logged: false }),
        ));
      }
      calls.push(this.#run(0, signal, () => this.#o.sink.execute(this.#insertDay, [p.deviceId, p.day], WRITE_OPTIONS)));
    }
    for (const e of newest.values()) {
      calls.push(this.#run(0, signal, () => this.#o.sink.execute(this.#upsertLatest, this.#latestParams(e), WRITE_OPTIONS)));
    }
    // allSettled first: a failed call must not leave others running unobserved behind the rejection.
    const results = await Promise.allSettled(calls);
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length === 1) throw failed[0]!.reason;
    if (failed.length > 1) throw new AggregateError(failed.map((f) => f.reason as unknown), `${failed.length} Cassandra writes failed`);
  }

  async #run(positionRows: number, signal: AbortSignal | undefined, fn: () => Promise<unknown>): Promise<void> {
    await runWithOverloadRetry(
      async () => {
        const t0 = performance.now();
        await fn();
        this.#o.onWrite?.((performance.now() - t0) / 1000, positionRows);
      },
      { concurrency: this.#o.concurrency, signal, backoff: this.#o.backoff, onOverload: this.#o.onOverload },
    );
  }

  #positionParams(e: StoredEvent, day: string): unknown[] {
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

  #latestParams(e: StoredEvent): unknown[] {
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
}
