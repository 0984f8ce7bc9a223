/**
 * `npm run bench`: the long fuzz run and the decode throughput of the Teltonika codecs.
 *
 * 1. Fuzz: BENCH_FUZZ_CASES (default 1,000,000) cases per codec, half TCP, half UDP: random bytes,
 *    and mutations of valid packets (byte edits, cuts, insertions, overwritten length fields; for
 *    TCP half of them with the CRC recomputed so the record decoder is reached). Every case must
 *    end in a TelemetryError or in a packet that re-encodes to the same bytes; anything else is
 *    counted as a failure and makes the bench exit 1.
 * 2. Throughput: decodeTcpPacket over packets of 20 realistic records (17 I/O elements each) per
 *    codec, for BENCH_SECONDS (default 2) each; AVL records per CPU-second of this process (one
 *    core; GC threads included), goal >= 1M/s.
 * 3. The event path: toTelemetryEvents + encodeEvent, decodeEvent (hand-written validation) and,
 *    for comparison, JSON.parse + the zod schema.
 *
 * Prints a table; writes bench/results/telemetry.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import {
  AVL_CODEC_IDS,
  TelemetryError,
  codecName,
  crc16Ibm,
  decodeEvent,
  decodeTcpPacket,
  decodeUdpPacket,
  encodeEvent,
  encodeTcpPacket,
  encodeUdpPacket,
  telemetryEventSchema,
  toTelemetryEvents,
} from '../src/index.ts';
import type { AvlCodecId, AvlRecord, IoElement } from '../src/index.ts';
import { packetArb, udpPacketArb } from '../test/helpers/arbitraries.ts';

const FUZZ_CASES = Number(process.env.BENCH_FUZZ_CASES ?? 1_000_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const GOAL_RECORDS_PER_S = 1_000_000;

/** xorshift32: a fast deterministic PRNG (the fuzz loop must not be dominated by randomness). */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

interface FuzzResult {
  cases: number;
  errors: number;
  exact: number;
  failures: number;
  firstFailure?: string;
  codes: Record<string, number>;
  seconds: number;
}

function mutate(valid: Buffer, rand: () => number, tcp: boolean): Buffer {
  const kind = rand() % 5;
  let bytes: Buffer;
  if (kind === 0) {
    bytes = Buffer.from(valid);
    const edits = 1 + (rand() % 3);
    for (let i = 0; i < edits; i++) bytes[rand() % bytes.length] = rand() & 0xff;
  } else if (kind === 1) {
    bytes = valid.subarray(0, rand() % valid.length);
  } else if (kind === 2) {
    const at = rand() % (valid.length + 1);
    const extra = Buffer.alloc(1 + (rand() % 8));
    for (let i = 0; i < extra.length; i++) extra[i] = rand() & 0xff;
    bytes = Buffer.concat([valid.subarray(0, at), extra, valid.subarray(at)]);
  } else if (kind === 3) {
    bytes = Buffer.from(valid);
    const at = rand() % Math.max(1, bytes.length - 3);
    if (bytes.length >= at + 4) bytes.writeUInt32BE(rand(), at);
  } else {
    bytes = Buffer.alloc(rand() % 300);
    for (let i = 0; i < bytes.length; i++) bytes[i] = rand() & 0xff;
  }
  // Half the TCP mutations get a correct CRC, so decoding goes past the CRC check into the records.
  if (tcp && kind !== 4 && rand() & 1 && bytes.length >= 12) {
    const end = 8 + bytes.readUInt32BE(4);
    if (end >= 8 && end + 4 <= bytes.length) bytes.writeUInt32BE(crc16Ibm(bytes, 8, end), end);
  }
  return bytes;
}

function fuzz(codecId: AvlCodecId, cases: number, seed: number): FuzzResult {
  const tcpPool = fc.sample(packetArb(codecId, 3), { numRuns: 200, seed }).map(encodeTcpPacket);
  const udpPool = fc
    .sample(udpPacketArb(codecId, 3), { numRuns: 200, seed: seed + 1 })
    .map(encodeUdpPacket);
  const rand = prng(seed);
  const result: FuzzResult = { cases, errors: 0, exact: 0, failures: 0, codes: {}, seconds: 0 };
  const started = performance.now();
  for (let i = 0; i < cases; i++) {
    const tcp = (i & 1) === 0;
    const pool = tcp ? tcpPool : udpPool;
    const input = mutate(pool[rand() % pool.length]!, rand, tcp);
    try {
      const packet = tcp ? decodeTcpPacket(input) : decodeUdpPacket(input);
      const again = tcp
        ? encodeTcpPacket(packet)
        : encodeUdpPacket(packet as ReturnType<typeof decodeUdpPacket>);
      if (again.equals(input)) result.exact++;
      else {
        result.failures++;
        result.firstFailure ??= `re-encoding differs for ${input.toString('hex')}`;
      }
    } catch (err) {
      if (err instanceof TelemetryError) {
        result.errors++;
        result.codes[err.code] = (result.codes[err.code] ?? 0) + 1;
      } else {
        result.failures++;
        result.firstFailure ??= `${String(err)} for ${input.toString('hex')}`;
      }
    }
  }
  result.seconds = (performance.now() - started) / 1000;
  return result;
}

/** A typical FMB record: 6 N1, 6 N2, 3 N4, 2 N8 elements, moving. */
function realisticRecord(i: number, codecId: AvlCodecId): AvlRecord {
  const io: IoElement[] = [
    ...[239, 240, 21, 200, 69, 1].map((id) => ({ id, width: 1 as const, value: (id + i) & 1 })),
    ...[66, 67, 68, 24, 181, 182].map((id) => ({ id, width: 2 as const, value: 12000 + id + i })),
    ...[16, 241, 199].map((id) => ({ id, width: 4 as const, value: 1_000_000 + id * i })),
    ...[78, 11].map((id) => ({
      id,
      width: 8 as const,
      value: BigInt(id) * 1_000_000_007n + BigInt(i),
    })),
  ];
  const record: AvlRecord = {
    timestamp: 1700000000000 + i * 1000,
    priority: 0,
    longitude: 25.2598066 + i / 1e5,
    latitude: 54.7009616 - i / 1e5,
    altitude: 104,
    angle: 41,
    satellites: 11,
    speed: 63,
    eventIoId: 0,
    io,
  };
  if (codecId === 0x10) record.generationType = 7;
  return record;
}

/**
 * Units per second of this process's CPU time (user + system), so that other processes on a shared
 * machine do not lower the figure: "on one core" means per core-second actually spent.
 */
function throughput(name: string, fn: () => number): number {
  for (let i = 0; i < 2000; i++) fn(); // warm up
  let units = 0;
  const cpu = process.cpuUsage();
  const deadline = performance.now() + SECONDS * 1000;
  while (performance.now() < deadline) {
    for (let i = 0; i < 200; i++) units += fn();
  }
  const used = process.cpuUsage(cpu);
  const rate = units / ((used.user + used.system) / 1e6);
  process.stdout.write(
    `  ${name.padEnd(44)} ${Math.round(rate).toLocaleString('en-US').padStart(14)} /s\n`,
  );
  return rate;
}

function main(): number {
  process.stdout.write(
    `fuzz: ${FUZZ_CASES.toLocaleString('en-US')} cases per codec (half TCP, half UDP)\n`,
  );
  const fuzzRows: { codec: string; result: FuzzResult }[] = [];
  for (const codecId of AVL_CODEC_IDS) {
    const result = fuzz(codecId, FUZZ_CASES, 0x5eed + codecId);
    fuzzRows.push({ codec: codecName(codecId), result });
    const top = Object.entries(result.codes)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 4)
      .map(([code, n]) => `${code} ${n}`)
      .join(', ');
    process.stdout.write(
      `  ${codecName(codecId).padEnd(18)} errors ${result.errors}  exact ${result.exact}  failures ${result.failures}  ` +
        `${Math.round(result.cases / result.seconds).toLocaleString('en-US')} cases/s  (${top})\n`,
    );
    if (result.firstFailure) process.stdout.write(`    first failure: ${result.firstFailure}\n`);
  }

  process.stdout.write(`\ndecode throughput (one core, ${SECONDS}s each)\n`);
  const rates: Record<string, number> = {};
  for (const codecId of AVL_CODEC_IDS) {
    const records = Array.from({ length: 20 }, (_, i) => realisticRecord(i, codecId));
    const packet = encodeTcpPacket({ codecId, records });
    rates[codecId] = throughput(
      `${codecName(codecId)} TCP, AVL records`,
      () => decodeTcpPacket(packet).records.length,
    );
  }
  const decodeRate = Math.min(...Object.values(rates));

  process.stdout.write('\nevent path\n');
  const packet = decodeTcpPacket(
    encodeTcpPacket({
      codecId: 0x8e,
      records: Array.from({ length: 20 }, (_, i) => realisticRecord(i, 0x8e)),
    }),
  );
  const toEvents = throughput('toTelemetryEvents + encodeEvent, events', () => {
    const events = toTelemetryEvents('356307042441013', 1700000000000, packet);
    for (const event of events) encodeEvent(event);
    return events.length;
  });
  const value = encodeEvent(toTelemetryEvents('356307042441013', 1700000000000, packet)[0]!);
  const handDecode = throughput(
    `decodeEvent (${value.length} B), events`,
    () => (decodeEvent(value), 1),
  );
  const zodDecode = throughput(
    'JSON.parse + zod schema, events',
    () => (telemetryEventSchema.parse(JSON.parse(value.toString('utf8'))), 1),
  );

  const failures = fuzzRows.reduce((n, row) => n + row.result.failures, 0);
  const measures = [
    {
      name: 'decode-records-per-s',
      value: Math.round(decodeRate),
      unit: 'records/s',
      baseline: null,
      ratio: null,
      goal: GOAL_RECORDS_PER_S,
    },
    ...AVL_CODEC_IDS.map((codecId) => ({
      name: `decode-records-per-s-${codecName(codecId).toLowerCase().replace(/ /g, '-')}`,
      value: Math.round(rates[codecId]!),
      unit: 'records/s',
      baseline: null,
      ratio: null,
      goal: GOAL_RECORDS_PER_S,
    })),
    {
      name: 'to-events-and-encode-per-s',
      value: Math.round(toEvents),
      unit: 'events/s',
      baseline: null,
      ratio: null,
      goal: null,
    },
    {
      name: 'decode-event-per-s',
      value: Math.round(handDecode),
      unit: 'events/s',
      baseline: Math.round(zodDecode),
      ratio: +(handDecode / zodDecode).toFixed(2),
      goal: null,
    },
    {
      name: 'fuzz-cases',
      value: fuzzRows.reduce((n, row) => n + row.result.cases, 0),
      unit: 'cases',
      baseline: null,
      ratio: null,
      goal: null,
    },
    { name: 'fuzz-failures', value: failures, unit: 'cases', baseline: null, ratio: null, goal: 0, better: 'lower' },
  ];
  const target = fileURLToPath(new URL('./results/telemetry.json', import.meta.url));
  mkdirSync(fileURLToPath(new URL('./results/', import.meta.url)), { recursive: true });
  writeFileSync(target, `${JSON.stringify({ measures, fuzz: fuzzRows }, null, 2)}\n`);

  process.stdout.write('\n| measure | value | unit | goal |\n|---|---:|---|---:|\n');
  for (const m of measures) {
    process.stdout.write(
      `| ${m.name} | ${m.value.toLocaleString('en-US')} | ${m.unit} | ${m.goal === null ? '' : m.goal.toLocaleString('en-US')} |\n`,
    );
  }
  process.stdout.write(`\nwrote ${target}\n`);
  return failures === 0 ? 0 : 1;
}

process.exitCode = main();
