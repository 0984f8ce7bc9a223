/**
 * Bench (CPU only, no Kafka): the parse transform over BENCH_PACKETS (default 200,000) raw Codec 8
 * packets of one record each (the same packets as parse-vs-passthrough.ts), in chunks of 5,000, on
 * one core. Prints records/s of the transform alone, so a change to decode / eventId / encode can be
 * measured without the broker's noise.
 */
import type { InboundRecord } from '@fleetstream/stream';
import { parseTransform } from '../src/transform.ts';
import { benchPacket as packet } from './bench-packets.ts';

const total = Number(process.env.BENCH_PACKETS ?? 200_000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const receivedAt = String(Date.now());
const records: InboundRecord[] = Array.from({ length: total }, (_, i) => ({
  topic: 'bench-raw',
  partition: i % 4,
  offset: String(i),
  key: Buffer.from(String(356307042440000 + (i % 1000))),
  value: packet(i),
  headers: { protocol: 'teltonika-tcp', receivedAt },
  timestamp: Date.now(),
}));
const transform = parseTransform('bench-parsed');
for (let round = 0; round < rounds; round++) {
  let out = 0;
  let bytes = 0;
  const t0 = performance.now();
  for (let i = 0; i < total; i += 5000) {
    const result = await transform(records.slice(i, i + 5000));
    out += result.out.length;
    for (const r of result.out) bytes += (r.value as Buffer).length;
  }
  const s = (performance.now() - t0) / 1000;
  console.log(`round ${round + 1}: ${Math.round(total / s)} records/s in, ${out} events out, ${Math.round(bytes / out)} B/event`);
}
