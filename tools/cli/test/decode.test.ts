/**
 * `fleetstream decode`, run as the real command in a child process. Packets are the worked examples
 * of https://wiki.teltonika-gps.com/view/Teltonika_Data_Sending_Protocols.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeTcpPacket } from '@fleetstream/telemetry';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = join(ROOT, 'tools/cli/bin/fleetstream.js');

const CODEC8 =
  '000000000000003608010000016B40D8EA30010000000000000000000000000000000105021503010101425E0F01F10000601A014E0000000000000000010000C7CF';
const CODEC8E =
  '000000000000004A8E010000016B412CEE000100000000000000000000000000000000010005000100010100010011001D00010010015E2C880002000B000000003544C87A000E000000001DD7E06A00000100002994';
const CODEC16 =
  '000000000000005F10020000016BDBC7833000000000000000000000000000000000000B05040200010000030002000B00270042563A00000000016BDBC7871800000000000000000000000000000000000B05040200010000030002000B00260042563A00000200005FB3';
const UDP8 =
  '003DCAFE0105000F33353230393330383634303336353508010000016B4F815B30010000000000000000000000000000000103021503010101425DBC000001';
const IMEI = '000F333536333037303432343431303133';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function fleetstream(args: string[], stdin?: string | Buffer): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: ROOT, encoding: 'utf8' },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    child.stdin?.end(stdin ?? '');
  });
}

const ZERO_GPS = { longitude: 0, latitude: 0, altitude: 0, angle: 0, satellites: 0, speed: 0 };

describe('fleetstream decode prints each codec as JSON', () => {
  it('decodes the Codec 8 example', async () => {
    // Act
    const run = await fleetstream(['decode', '--protocol', 'teltonika', '--hex', CODEC8]);
    // Assess
    expect([run.code, run.stderr]).toEqual([0, '']);
    expect(JSON.parse(run.stdout)).toStrictEqual({
      codec: 8,
      records: [
        {
          timestamp: 1560161086000,
          priority: 1,
          ...ZERO_GPS,
          eventIoId: 1,
          io: { '1': 1, '21': 3, '66': 24079, '78': 0, '241': 24602 },
        },
      ],
    });
  });

  it('decodes the Codec 8 Extended example (codec 0x8E = 142)', async () => {
    const run = await fleetstream(['decode', '--hex', CODEC8E, '--json']);
    expect(run.code).toBe(0);
    expect(run.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(run.stdout)).toStrictEqual({
      codec: 142,
      records: [
        {
          timestamp: 1560166592000,
          priority: 1,
          ...ZERO_GPS,
          eventIoId: 1,
          io: { '1': 1, '11': 893700218, '14': 500686954, '16': 22949000, '17': 29 },
        },
      ],
    });
  });

  it('decodes the Codec 16 example with its generation types', async () => {
    const run = await fleetstream(['decode', '--hex', CODEC16]);
    expect(run.code).toBe(0);
    const io = (eleven: number) => ({ '1': 0, '3': 0, '11': eleven, '66': 22074 });
    expect(JSON.parse(run.stdout)).toStrictEqual({
      codec: 16,
      records: [
        {
          timestamp: 1562760414000,
          priority: 0,
          ...ZERO_GPS,
          eventIoId: 11,
          generationType: 5,
          io: io(39),
        },
        {
          timestamp: 1562760415000,
          priority: 0,
          ...ZERO_GPS,
          eventIoId: 11,
          generationType: 5,
          io: io(38),
        },
      ],
    });
  });

  it('decodes a UDP datagram with --transport udp and adds the IMEI', async () => {
    const run = await fleetstream(['decode', '--transport', 'udp', '--hex', UDP8]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toStrictEqual({
      codec: 8,
      imei: '352093086403655',
      records: [
        {
          timestamp: 1560407006000,
          priority: 1,
          ...ZERO_GPS,
          eventIoId: 1,
          io: { '1': 1, '21': 3, '66': 23996 },
        },
      ],
    });
  });

  it('decodes an IMEI login packet', async () => {
    const run = await fleetstream(['decode', '--hex', IMEI]);
    expect([run.code, JSON.parse(run.stdout)]).toEqual([0, { imei: '356307042441013' }]);
  });

  it('prints 8-byte values beyond 2^53 as decimal strings and NX values as hex strings', async () => {
    // Prepare
    const packet = encodeTcpPacket({
      codecId: 0x8e,
      records: [
        {
          timestamp: 1700000000000,
          priority: 2,
          longitude: -3.7037902,
          latitude: 40.4167754,
          altitude: -5,
          angle: 270,
          satellites: 7,
          speed: 90,
          eventIoId: 385,
          io: [
            { id: 11, width: 8, value: 2n ** 64n - 1n },
            { id: 385, width: 'nx', value: Buffer.from('0a1b2c', 'hex') },
          ],
        },
      ],
    });
    // Act
    const run = await fleetstream(['decode', '--hex', packet.toString('hex')]);
    // Assess
    expect(JSON.parse(run.stdout).records[0]).toStrictEqual({
      timestamp: 1700000000000,
      priority: 2,
      longitude: -3.7037902,
      latitude: 40.4167754,
      altitude: -5,
      angle: 270,
      satellites: 7,
      speed: 90,
      eventIoId: 385,
      io: { '11': '18446744073709551615', '385': '0a1b2c' },
    });
  });
});

describe('fleetstream decode reads files and stdin', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleetstream-decode-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads raw bytes from --file', async () => {
    const file = join(dir, 'packet.bin');
    writeFileSync(file, Buffer.from(CODEC8, 'hex'));
    const run = await fleetstream(['decode', '--file', file, '--json']);
    expect([run.code, JSON.parse(run.stdout).codec]).toEqual([0, 8]);
  });

  it('reads wrapped hex text from --file', async () => {
    const file = join(dir, 'packet.hex');
    writeFileSync(file, `${CODEC16.slice(0, 60)}\n${CODEC16.slice(60)}\n`);
    const run = await fleetstream(['decode', '--file', file]);
    expect([run.code, JSON.parse(run.stdout).records.length]).toEqual([0, 2]);
  });

  it('reads hex from stdin when neither --hex nor --file is given', async () => {
    const run = await fleetstream(['decode', '--json'], `${CODEC8E}\n`);
    expect([run.code, JSON.parse(run.stdout).codec]).toEqual([0, 142]);
  });
});

describe('fleetstream decode refuses bad input with one line and exit code 2', () => {
  it('names a bad CRC with its offset, both CRCs and a hint', async () => {
    const run = await fleetstream(['decode', '--hex', `${CODEC8.slice(0, -1)}E`]);
    expect([run.code, run.stdout]).toEqual([2, '']);
    expect(run.stderr).toBe(
      'fleetstream decode: TELEMETRY_CRC_MISMATCH at byte 62: packet says 0xc7ce, computed 0xc7cf — the packet was corrupted or cut\n',
    );
  });

  it('names a truncated packet with the byte where the bytes ran out', async () => {
    const run = await fleetstream(['decode', '--hex', CODEC8.slice(0, 80)]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^fleetstream decode: TELEMETRY_TRUNCATED at byte 40: the packet says 66 bytes, only 40 arrived — .+\n$/,
    );
  });

  it('names non-hex input with TELEMETRY_BAD_HEX and the character position', async () => {
    const run = await fleetstream(['decode', '--hex', '000F33zz']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^fleetstream decode: TELEMETRY_BAD_HEX at character 6: "z" is not a hex digit — .+\n$/,
    );
  });

  it('suggests --transport udp for a UDP datagram decoded as TCP', async () => {
    const run = await fleetstream(['decode', '--hex', UDP8]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^fleetstream decode: TELEMETRY_BAD_PREAMBLE at byte 1: .+ — this is a valid UDP datagram: add --transport udp\n$/,
    );
  });

  it.each([
    ['an unknown option', ['--bogus']],
    ['an unknown transport', ['--transport', 'sctp', '--hex', CODEC8]],
    ['an unknown protocol', ['--protocol', 'ruptela', '--hex', CODEC8]],
    ['both --hex and --file', ['--hex', CODEC8, '--file', 'x']],
    ['a missing file', ['--file', '/nonexistent/packet.bin']],
    ['empty stdin', []],
  ])('exits 2 on %s', async (_case, args) => {
    const run = await fleetstream(['decode', ...args]);
    expect([run.code, run.stdout, run.stderr.split('\n').length]).toEqual([2, '', 2]);
  });
});
