import { connect, type Socket } from 'node:net';
import { encodeImeiPacket } from '@fleetstream/telemetry';
import { SimulatorError } from './errors.ts';
import { TimerWheel, type WheelEntry } from './timer-wheel.ts';

/**
 * One device's TCP connection to a Teltonika gateway: connect, IMEI login (answer 0x01), then
 * packets each answered by a 4-byte ack. Reads are "exactly n bytes within a timeout"; a close or
 * a timeout rejects the read, and the caller reconnects and resends.
 */
export class TcpLink {
  readonly #host: string;
  readonly #port: number;
  readonly #imei: string;
  #socket: Socket | undefined;
  #buf: Buffer = Buffer.alloc(0);
  readonly #wheel: TimerWheel;
  #reader: { n: number; resolve: (b: Buffer) => void; reject: (e: Error) => void; deadline: WheelEntry } | undefined;
  #closedError: Error | undefined;

  /** `wheel`: where the read deadlines wait (the fleet's shared one; a private one otherwise). */
  constructor(host: string, port: number, imei: string, wheel?: TimerWheel) {
    this.#host = host;
    this.#port = port;
    this.#imei = imei;
    this.#wheel = wheel ?? new TimerWheel(5);
  }

  get connected(): boolean {
    return this.#socket !== undefined;
  }

  /** Connects and logs in; LOGIN_REJECTED when the gateway answers 0x00. */
  async open(timeoutMs: number): Promise<void> {
    this.close();
    this.#buf = Buffer.alloc(0);
    this.#closedError = undefined;
    const socket = connect({ host: this.#host, port: this.#port });
    socket.setNoDelay(true);
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
      this.#deliver();
    });
    const onGone = (err?: Error) => {
      this.#closedError = err ?? new SimulatorError('SIMULATOR_CONNECTION_CLOSED', 'the gateway closed the connection');
      if (this.#socket === socket) this.#socket = undefined;
      this.#fail(this.#closedError);
    };
    socket.on('error', (err) => onGone(new SimulatorError('SIMULATOR_CONNECTION_FAILED', err.message, { cause: err })));
    socket.on('close', () => onGone());
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new SimulatorError('SIMULATOR_ACK_TIMEOUT', 'connect timed out')), timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(new SimulatorError('SIMULATOR_CONNECTION_FAILED', err.message, { cause: err }));
      });
    });
    socket.write(encodeImeiPacket(this.#imei));
    const answer = await this.read(1, timeoutMs);
    if (answer[0] !== 0x01) {
      this.close();
      throw new SimulatorError('SIMULATOR_LOGIN_REJECTED', `the gateway refused IMEI ${this.#imei}`);
    }
  }

  /** Writes a packet and waits for its 4-byte ack; resolves the acknowledged record count. */
  async send(packet: Buffer, timeoutMs: number): Promise<number> {
    const socket = this.#socket;
    if (!socket) throw new SimulatorError('SIMULATOR_CONNECTION_CLOSED', 'not connected');
    socket.write(packet);
    const ack = await this.read(4, timeoutMs);
    return ack.readUInt32BE(0);
  }

  /** Exactly `n` bytes, or a rejection on close / timeout. */
  read(n: number, timeoutMs: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const deadline = this.#wheel.at(Date.now() + timeoutMs, () => this.#fail(new SimulatorError('SIMULATOR_ACK_TIMEOUT', `no answer within ${timeoutMs} ms`)));
      this.#reader = { n, resolve, reject, deadline };
      this.#deliver();
      if (this.#reader && !this.#socket) this.#fail(this.#closedError ?? new SimulatorError('SIMULATOR_CONNECTION_CLOSED', 'not connected'));
    });
  }

  #deliver(): void {
    const r = this.#reader;
    if (!r || this.#buf.length < r.n) return;
    this.#reader = undefined;
    this.#wheel.cancel(r.deadline);
    const out = this.#buf.subarray(0, r.n);
    this.#buf = this.#buf.subarray(r.n);
    r.resolve(out);
  }

  #fail(err: Error): void {
    const r = this.#reader;
    if (!r) return;
    this.#reader = undefined;
    this.#wheel.cancel(r.deadline);
    r.reject(err);
  }

  close(): void {
    const s = this.#socket;
    this.#socket = undefined;
    s?.destroy();
  }
}
