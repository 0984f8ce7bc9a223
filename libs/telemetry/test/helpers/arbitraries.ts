/**
 * fast-check arbitraries for valid AVL records and packets of every codec, shaped as the decoder
 * returns them (I/O elements grouped N1, N2, N4, N8, NX in wire order), so that
 * decode(encode(x)) must equal x exactly. Also used by the bench.
 */
import fc from 'fast-check';
import { CODEC_16, CODEC_8, CODEC_8_EXTENDED } from '../../src/index.ts';
import type { AvlCodecId, AvlPacket, AvlRecord, IoElement, UdpAvlPacket } from '../../src/index.ts';

export const CODECS: readonly AvlCodecId[] = [CODEC_8, CODEC_8_EXTENDED, CODEC_16];

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const i32 = fc.integer({ min: -0x80000000, max: 0x7fffffff });

function group(
  id: fc.Arbitrary<number>,
  value: fc.Arbitrary<IoElement['value']>,
  width: IoElement['width'],
  max: number,
) {
  return fc.array(
    fc
      .record({ id, value })
      .map(({ id: i, value: v }) => ({ id: i, width, value: v }) as IoElement),
    {
      maxLength: max,
    },
  );
}

/** A valid record for `codecId`; `maxPerGroup` bounds each I/O group. */
export function recordArb(codecId: AvlCodecId, maxPerGroup = 4): fc.Arbitrary<AvlRecord> {
  const id = codecId === CODEC_8 ? u8 : u16;
  const groups = fc.tuple(
    group(id, u8, 1, maxPerGroup),
    group(id, u16, 2, maxPerGroup),
    group(id, fc.integer({ min: 0, max: 0xffffffff }), 4, maxPerGroup),
    group(id, fc.bigInt({ min: 0n, max: 0xffffffffffffffffn }), 8, maxPerGroup),
    codecId === CODEC_8_EXTENDED
      ? group(
          id,
          fc.uint8Array({ maxLength: 24 }).map((bytes) => Buffer.from(bytes)),
          'nx',
          2,
        )
      : fc.constant([] as IoElement[]),
  );
  return fc
    .record({
      timestamp: fc.maxSafeNat(),
      priority: u8,
      longitude: i32.map((v) => v / 1e7),
      latitude: i32.map((v) => v / 1e7),
      altitude: fc.integer({ min: -32768, max: 32767 }),
      angle: u16,
      satellites: u8,
      speed: u16,
      eventIoId: id,
      generationType: u8,
      groups,
    })
    .map(({ groups: g, generationType, ...rest }) => {
      const record: AvlRecord = { ...rest, io: g.flat() };
      if (codecId === CODEC_16) record.generationType = generationType;
      return record;
    });
}

/** A valid AVL packet of `codecId` (0..maxRecords records). */
export function packetArb(codecId: AvlCodecId, maxRecords = 4): fc.Arbitrary<AvlPacket> {
  return fc
    .array(recordArb(codecId), { maxLength: maxRecords })
    .map((records) => ({ codecId, records }));
}

/** A valid UDP AVL packet of `codecId`. */
export function udpPacketArb(codecId: AvlCodecId, maxRecords = 4): fc.Arbitrary<UdpAvlPacket> {
  return fc
    .record({
      packet: packetArb(codecId, maxRecords),
      packetId: u16,
      notUsable: u8,
      avlPacketId: u8,
      imei: fc.stringMatching(/^[0-9]{1,20}$/),
    })
    .map(({ packet, ...udp }) => ({ ...packet, ...udp }));
}
