/**
 * Teltonika's own worked examples (test/fixtures/teltonika-wiki-examples.ts, from
 * https://wiki.teltonika-gps.com/view/Teltonika_Data_Sending_Protocols) decode to exactly the
 * values the page gives, and encoding the decoded packet gives back the same bytes.
 */
import { describe, expect, it } from '@jest/globals';
import {
  IMEI_ACCEPT,
  decodeImeiPacket,
  decodeTcpAck,
  decodeTcpPacket,
  decodeUdpAck,
  decodeUdpPacket,
  encodeImeiPacket,
  encodeTcpAck,
  encodeTcpPacket,
  encodeUdpAck,
  encodeUdpPacket,
  hexToBuffer,
} from '../src/index.ts';
import { IMEI_LOGIN, WIKI_EXAMPLES } from './fixtures/teltonika-wiki-examples.ts';

const tcp = WIKI_EXAMPLES.filter((e) => e.transport === 'tcp');
const udp = WIKI_EXAMPLES.filter((e) => e.transport === 'udp');

describe('Teltonika wiki examples over TCP', () => {
  describe.each(tcp.map((e) => [e.name, e] as const))('%s', (_name, example) => {
    it('decodes to exactly the codec and records the page gives', () => {
      // Prepare
      const bytes = hexToBuffer(example.hex);
      // Act
      const packet = decodeTcpPacket(bytes);
      // Assess
      expect(packet).toStrictEqual({ codecId: example.codecId, records: example.records });
    });

    it('encodes the decoded packet back to the same bytes', () => {
      const bytes = hexToBuffer(example.hex);
      expect(encodeTcpPacket(decodeTcpPacket(bytes)).toString('hex')).toBe(bytes.toString('hex'));
    });

    it('is acknowledged with its record count as 4 bytes', () => {
      const ack = encodeTcpAck(example.records.length);
      expect(ack.toString('hex')).toBe(example.records.length.toString(16).padStart(8, '0'));
      expect(decodeTcpAck(ack)).toBe(example.records.length);
    });
  });
});

describe('Teltonika wiki examples over UDP', () => {
  describe.each(udp.map((e) => [e.name, e] as const))('%s', (_name, example) => {
    it('decodes to exactly the headers, IMEI and records the page gives', () => {
      const packet = decodeUdpPacket(hexToBuffer(example.hex));
      expect(packet).toStrictEqual({
        codecId: example.codecId,
        records: example.records,
        ...example.udp,
      });
    });

    it('encodes the decoded packet back to the same bytes', () => {
      const bytes = hexToBuffer(example.hex);
      expect(encodeUdpPacket(decodeUdpPacket(bytes)).toString('hex')).toBe(bytes.toString('hex'));
    });
  });

  it('acknowledges the Codec 8 UDP example as the page shows: 0005 CAFE 01 05 01', () => {
    // Prepare
    const packet = decodeUdpPacket(hexToBuffer(udp[0]!.hex));
    // Act
    const ack = encodeUdpAck({
      packetId: packet.packetId,
      avlPacketId: packet.avlPacketId,
      acceptedCount: packet.records.length,
    });
    // Assess
    expect(ack.toString('hex')).toBe('0005cafe010501');
    expect(decodeUdpAck(ack)).toStrictEqual({
      packetId: 0xcafe,
      notUsable: 1,
      avlPacketId: 5,
      acceptedCount: 1,
    });
  });
});

describe('Teltonika wiki IMEI login example', () => {
  it('decodes 000F3335... to the IMEI 356307042441013 and encodes it back', () => {
    const bytes = hexToBuffer(IMEI_LOGIN.hex);
    expect(decodeImeiPacket(bytes)).toBe(IMEI_LOGIN.imei);
    expect(encodeImeiPacket(IMEI_LOGIN.imei).equals(bytes)).toBe(true);
  });

  it('is accepted with the single byte 0x01', () => {
    expect(IMEI_ACCEPT.toString('hex')).toBe('01');
  });
});

describe('the beacon example (Codec 8 Extended NX element)', () => {
  it('keeps the 169 variable-length bytes of AVL ID 385 as bytes', () => {
    const beacon = WIKI_EXAMPLES.at(-1)!;
    const [record] = decodeTcpPacket(hexToBuffer(beacon.hex)).records;
    expect(record!.io).toHaveLength(1);
    expect(record!.io[0]!.width).toBe('nx');
    expect((record!.io[0]!.value as Buffer).length).toBe(0xa9);
  });
});
