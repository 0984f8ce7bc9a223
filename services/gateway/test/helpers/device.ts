import { connect, type Socket } from 'node:net';
import { CODEC_8, encodeImeiPacket, encodeTcpPacket, type AvlRecord } from '@fleetstream/telemetry';

/** A minimal AVL record for hand-made packets. */
export function avlRecord(timestamp: number, overrides: Partial<AvlRecord> = {}): AvlRecord {
  return {
    timestamp,
    priority: 0,
    longitude: 25.2797,
    latitude: 54.6872,
    altitude: 100,
    angle: 90,
    satellites: 9,
    speed: 42,
    eventIoId: 0,
    io: [{ id: 239, width: 1, value: 1 }],
    ...overrides,
  };
}

export function avlPacket(timestamp: number, count = 1): Buffer {
  return encodeTcpPacket({ codecId: CODEC_8, records: Array.from({ length: count }, (_, i) => avlRecord(timestamp + i * 1000)) });
}

/** A hand-driven TCP client: everything received is kept; `closed` resolves when the gateway closes. */
export class RawDevice {
  readonly socket: Socket;
  received: Buffer = Buffer.alloc(0);
  readonly closed: Promise<void>;
  #waiters: (() => void)[] = [];

  constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
      for (const w of this.#waiters.splice(0)) w();
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  static async connect(port: number): Promise<RawDevice> {
    const socket = connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawDevice(socket);
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  login(imei: string): void {
    this.write(encodeImeiPacket(imei));
  }

  /** Resolves once at least `n` bytes arrived in total; rejects if the connection closes first. */
  async receivedAtLeast(n: number): Promise<Buffer> {
    while (this.received.length < n) {
      const more = new Promise<'more'>((resolve) => this.#waiters.push(() => resolve('more')));
      const what = await Promise.race([more, this.closed.then(() => 'closed' as const)]);
      if (what === 'closed' && this.received.length < n) throw new Error(`connection closed after ${this.received.length} of ${n} bytes`);
    }
    return this.received;
  }

  destroy(): void {
    this.socket.destroy();
  }
}
