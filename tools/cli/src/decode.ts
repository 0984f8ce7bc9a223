/**
 * `fleetstream decode`: a device frame to JSON, the first tool when a device misbehaves.
 *
 *     fleetstream decode [--protocol teltonika] [--transport tcp|udp] [--json]
 *                        [--hex <HEX> | --file <path>]      (neither: reads stdin)
 *
 * Input is hex text (spaces and line breaks allowed) or, from a file or stdin, raw bytes. Over TCP
 * it takes an AVL data packet or an IMEI login packet; over UDP an AVL datagram. Prints the packet
 * as JSON (indented; one line with --json). Exit codes: 0 decoded, 2 bad input or usage.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import {
  MAX_IMEI_LENGTH,
  decodeImeiPacket,
  decodeTcpPacket,
  decodeUdpPacket,
  hexToBuffer,
} from '@fleetstream/telemetry';
import { describeError, packetToJson } from './decode-output.ts';
import { UsageError } from './errors.ts';

const USAGE = `usage: fleetstream decode [--protocol teltonika] [--transport tcp|udp] [--json] [--hex <HEX> | --file <path>]
  --hex <HEX>        the packet as hex digits (spaces allowed)
  --file <path>      a file with the raw bytes or hex text
  (neither)          read raw bytes or hex text from stdin
  --transport        tcp (default: AVL data packet or IMEI login) or udp (AVL datagram)
  --json             print one line of JSON instead of indented JSON`;


interface DecodeOptions {
  transport: 'tcp' | 'udp';
  json: boolean;
  hex?: string;
  file?: string;
}

function parseOptions(args: string[]): DecodeOptions | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        protocol: { type: 'string', default: 'teltonika' },
        transport: { type: 'string', default: 'tcp' },
        hex: { type: 'string' },
        file: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return 'help';
  if (values.protocol !== 'teltonika')
    throw new UsageError(`unknown protocol ${JSON.stringify(values.protocol)}; known: teltonika`);
  if (values.transport !== 'tcp' && values.transport !== 'udp') {
    throw new UsageError(`--transport must be tcp or udp, not ${JSON.stringify(values.transport)}`);
  }
  if (values.hex !== undefined && values.file !== undefined)
    throw new UsageError('give --hex or --file, not both');
  return { transport: values.transport, json: values.json, hex: values.hex, file: values.file };
}

/** Hex text when every byte is printable ASCII (raw packets always hold bytes below 0x20), else raw bytes. */
function bytesOf(raw: Buffer): Buffer {
  const printable = raw.every(
    (b) => (b >= 0x20 && b < 0x7f) || b === 0x09 || b === 0x0a || b === 0x0d,
  );
  return printable ? hexToBuffer(raw.toString('latin1')) : raw;
}

async function readStdin(): Promise<Buffer> {
  if (process.stdin.isTTY)
    throw new UsageError('no input: give --hex, --file, or pipe the bytes to stdin');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function readInput(options: DecodeOptions): Promise<Buffer> {
  if (options.hex !== undefined) return hexToBuffer(options.hex);
  let raw: Buffer;
  if (options.file !== undefined) {
    try {
      raw = await readFile(options.file);
    } catch (err) {
      throw new UsageError(
        `cannot read ${options.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
  } else {
    raw = await readStdin();
  }
  return bytesOf(raw);
}

/** An IMEI login packet: a 2-byte length of 1..20 that matches the bytes that follow. */
function isImeiLogin(bytes: Buffer): boolean {
  return (
    bytes.length > 2 &&
    bytes.length - 2 <= MAX_IMEI_LENGTH &&
    bytes.readUInt16BE(0) === bytes.length - 2
  );
}

function decodeBytes(bytes: Buffer, transport: 'tcp' | 'udp'): object {
  if (transport === 'udp') {
    const packet = decodeUdpPacket(bytes);
    return packetToJson(packet, packet.imei);
  }
  if (isImeiLogin(bytes)) return { imei: decodeImeiPacket(bytes) };
  return packetToJson(decodeTcpPacket(bytes));
}

/** A more precise hint when the bytes are a valid packet of the other transport. */
function otherTransportHint(bytes: Buffer, transport: 'tcp' | 'udp'): string | undefined {
  try {
    if (transport === 'tcp') {
      decodeUdpPacket(bytes);
      return 'this is a valid UDP datagram: add --transport udp';
    }
    decodeTcpPacket(bytes);
    return 'this is a valid TCP AVL packet: drop --transport udp';
  } catch {
    return undefined;
  }
}

/** Runs `fleetstream decode`; resolves to the exit code. */
export async function runDecode(args: string[]): Promise<number> {
  let options: DecodeOptions | 'help';
  let bytes: Buffer;
  try {
    options = parseOptions(args);
    if (options === 'help') {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    bytes = await readInput(options);
    if (bytes.length === 0) throw new UsageError('no bytes to decode');
  } catch (err) {
    const usage = err instanceof UsageError ? ' (fleetstream decode --help shows the options)' : '';
    process.stderr.write(`fleetstream decode: ${describeError(err)}${usage}\n`);
    return 2;
  }
  try {
    const decoded = decodeBytes(bytes, options.transport);
    process.stdout.write(`${JSON.stringify(decoded, null, options.json ? undefined : 2)}\n`);
    return 0;
  } catch (err) {
    const hint = otherTransportHint(bytes, options.transport);
    process.stderr.write(`fleetstream decode: ${describeError(err, hint)}\n`);
    return 2;
  }
}
