import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import type { TelemetryError } from '@fleetstream/telemetry';
import { parseTransform } from '../src/transform.ts';
import { rawRecords } from './helpers/raw-records.ts';

// Pinned from the original implementation (JSON.stringify of each event object, eventIds from
// createHash). Any change to the bytes parse writes, or to an eventId, changes the digest: consumers
// parse these values and replays must collapse into the same Cassandra rows.
const DIGEST = 'ccb4d4164a1ec6840c00d0c41109ca775c0c3c6fbf79f2cbbef7409ce809593c';
const DEAD_DIGEST = '148b1a1f2d7c0eb1fcb93984c178194a2142e8c0efb5dc4ebb162a7ed9fb5389';

async function outputs(chunk: number) {
  const records = rawRecords(3000);
  const transform = parseTransform('parsed');
  const h = createHash('sha256');
  const hd = createHash('sha256');
  let out = 0;
  let dead = 0;
  let bytes = 0;
  for (let i = 0; i < records.length; i += chunk) {
    const result = await transform(records.slice(i, i + chunk));
    for (const o of result.out) {
      const value = Buffer.from(o.value as Buffer | string);
      const key = Buffer.from(o.key as Buffer | string);
      h.update(`${o.topic}|${key.toString('hex')}|${value.toString('hex')}|${JSON.stringify(o.headers)}\n`);
      out += 1;
      bytes += value.length;
    }
    for (const d of result.dead) {
      // The digest was pinned before codes were prefixed per package: the reason is the same code without TELEMETRY_.
      hd.update(`dead|${d.record.offset}|${(d.error as TelemetryError).code.replace(/^TELEMETRY_/, '')}\n`);
      dead += 1;
    }
  }
  return { out, dead, bytes, digest: h.digest('hex'), deadDigest: hd.digest('hex') };
}

describe('parse transform golden output', () => {
  it.each([500, 1, 3000])('writes exactly the pinned keys, values, headers and dead letters for 3,000 mixed raw records (chunks of %d)', async (chunk) => {
    expect(await outputs(chunk)).toEqual({ out: 7385, dead: 150, bytes: 3626982, digest: DIGEST, deadDigest: DEAD_DIGEST });
  });

  it('writes this exact event for a Codec 16 record', async () => {
    const result = await parseTransform('parsed')(rawRecords(12));
    expect(result.out[5]!.value!.toString()).toBe(
      '{"schemaVersion":1,"eventId":"1a763c31-b08d-83bb-a705-807f7b803215","deviceId":"356307042440002","eventTime":1700000022000,"receivedAt":1700000000002,' +
        '"position":{"lat":-13.087822,"lon":147.5585701,"altitude":3181,"heading":2,"speed":61,"satellites":29},"priority":1,"eventIoId":0,' +
        '"io":{"48":87,"66":44676,"240":848545076,"449":1700810747,"1196":33716,"2328":138,"2701":2673155423,"9615":84},' +
        '"movement":true,"externalVoltage":44.676,"engineHours":472447.4297222222,"fuelLevel":87,"generationType":7}',
    );
    expect(result.out[0]!.headers).toEqual({ 'schema-version': '1', receivedAt: '1700000000000' });
    expect(result.out.slice(0, 11).map((o) => JSON.parse(o.value!.toString()).eventId)).toEqual([
      '1799e748-bbe2-840d-be45-b79dba8eade6',
      '70ca0c4b-e763-84a4-ad6e-258f015ecc21',
      '3cedb133-27e1-8e89-99e4-6fa496d09a43',
      '10fd2965-da79-8a19-8b4c-3b6e08e5c550',
      '5d9835fa-544a-87b0-b97e-39df9fdaf194',
      '1a763c31-b08d-83bb-a705-807f7b803215',
      'f7f8bd0f-21e9-8aaa-be3a-e86691d7af69',
      'eacc723d-ef92-89e9-9327-c0ab66e086f4',
      'b21bc792-2196-8c65-92bd-0375de3efa12',
      '50d8a9cd-6862-8b14-a082-02c330728475',
      'dc24ab3d-6070-8338-bb2a-5b67d2c61191', // the repeated record: occurrence 1
    ]);
  });
});
