import type { Socket } from 'node:net';
import {
  IMEI_ACCEPT,
  IMEI_REJECT,
  decodeImeiPacket,
  decodeTcpPacket,
  encodeTcpAck,
  frameImei,
  frameTcp,
  isTelemetryError,
  type AvlPacket,
} from '@fleetstream/telemetry';
import type { CloseReason } from './gateway-metrics.ts';
import type { RawInput } from './raw-record.ts';

/** What a session needs from the gateway: policy and the two ways out (raw topic, DLQ). */
export interface TcpSessionHost {
  maxPacketBytes: number;
  idleTimeoutMs: number;
  rawTopic: string;
  allowImei(imei: string): boolean;
  /** Resolves once the record is durable in Kafka; rejects otherwise. */
  forward(input: RawInput, packet: AvlPacket): Promise<void>;
  /** Resolves once the DLQ record is durable; rejects otherwise. */
  deadLetter(input: RawInput, error: unknown): Promise<void>;
  onClose(session: TcpSession, reason: CloseReason | 'peer' | 'shutdown' | 'error'): void;
}

/**
 * One device connection: the IMEI login, then AVL packets one at a time. The socket is paused
 * while a packet is being forwarded, so a device (or a hostile client) can never make the gateway
 * buffer more than one packet plus one socket chunk; every packet must be complete within the idle
 * timeout of the previous one (which closes idle and slowloris connections alike).
 */
export class TcpSession {
  readonly remote: string;
  readonly #socket: Socket;
  readonly #host: TcpSessionHost;
  #pending: Buffer = Buffer.alloc(0);
  #imei: string | undefined;
  #busy = false;
  #closed = false;
  #draining = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(socket: Socket, host: TcpSessionHost) {
    this.#socket = socket;
    this.#host = host;
    this.remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('end', () => this.close('peer'));
    socket.on('error', () => this.close('error'));
    socket.on('close', () => this.close('peer'));
    this.#armTimer();
  }

  get imei(): string | undefined {
    return this.#imei;
  }

  /** True while a packet is on its way to Kafka. */
  get busy(): boolean {
    return this.#busy;
  }

  /** Closes after the packet in flight (if any) has been answered. */
  drain(): void {
    this.#draining = true;
    if (!this.#busy) this.close('shutdown');
  }

  close(reason: CloseReason | 'peer' | 'shutdown' | 'error'): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#pending = Buffer.alloc(0);
    if (reason === 'login_rejected' || reason === 'shutdown') {
      // Let the last reply (0x00, or the final ack) leave before the socket goes.
      this.#socket.end();
      setTimeout(() => this.#socket.destroy(), 1_000).unref();
    } else {
      this.#socket.destroy();
    }
    this.#host.onClose(this, reason);
  }

  /** (Re)starts the idle deadline; one timer per session, refreshed rather than re-created per packet. */
  #armTimer(): void {
    if (this.#timer) {
      this.#timer.refresh();
      return;
    }
    this.#timer = setTimeout(() => {
      if (!this.#busy) this.close('idle');
    }, this.#host.idleTimeoutMs);
  }

  #onData(chunk: Buffer): void {
    if (this.#closed) return;
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    // A device sends its next packet only after the ack, so the socket is paused only when bytes
    // come while a packet is in flight (pipelining): at most that packet plus this chunk is held.
    if (this.#busy) this.#socket.pause();
    this.#process();
  }

  /** Handles every whole packet buffered, one at a time; stops (paused) while one is in flight. */
  #process(): void {
    while (!this.#closed && !this.#busy && this.#pending.length > 0) {
      if (this.#imei === undefined) {
        if (!this.#login()) return;
        continue;
      }
      const { frame, error } = frameTcp(this.#pending, { maxPacketSize: this.#host.maxPacketBytes });
      if (error) {
        this.close(error.code === 'TELEMETRY_PACKET_TOO_LARGE' ? 'oversized' : 'garbage');
        return;
      }
      if (!frame) {
        // frameTcp refuses declared lengths above the limit, so only pipelined bytes get here.
        if (this.#pending.length > this.#host.maxPacketBytes) this.close('oversized');
        return;
      }
      this.#pending = this.#pending.subarray(frame.length);
      // The frame is kept until Kafka acked it: copied out of a larger chunk (so the chunk is not
      // held), taken as is when it is the whole buffer (the usual one packet per read).
      const whole = frame.byteOffset === 0 && frame.length === frame.buffer.byteLength;
      this.#handlePacket(whole ? frame : Buffer.from(frame));
    }
  }

  /** Reads the login packet when whole; false when more bytes are needed or the session closed. */
  #login(): boolean {
    const { frame, error } = frameImei(this.#pending);
    if (error) {
      this.close('garbage');
      return false;
    }
    if (!frame) return false;
    let imei: string;
    try {
      imei = decodeImeiPacket(frame);
    } catch {
      this.close('garbage');
      return false;
    }
    this.#pending = this.#pending.subarray(frame.length);
    if (!this.#host.allowImei(imei)) {
      this.#socket.write(IMEI_REJECT);
      this.close('login_rejected');
      return false;
    }
    this.#imei = imei;
    this.#socket.write(IMEI_ACCEPT);
    this.#armTimer();
    return true;
  }

  #handlePacket(frame: Buffer): void {
    const input: RawInput = {
      topic: this.#host.rawTopic,
      key: this.#imei!,
      value: frame,
      protocol: 'teltonika-tcp',
      codec: frame.length > 8 ? frame[8] : undefined,
      receivedAt: Date.now(),
      remote: this.remote,
    };
    let packet: AvlPacket;
    try {
      packet = decodeTcpPacket(frame);
    } catch (err) {
      if (!isTelemetryError(err)) throw err;
      this.#run(this.#host.deadLetter(input, err), undefined);
      return;
    }
    this.#run(this.#host.forward(input, packet), packet.records.length);
  }

  /** Handles no further packet until this one is durable, then acks (AVL) or not (DLQ) and goes on. */
  #run(work: Promise<void>, ackCount: number | undefined): void {
    this.#busy = true;
    work.then(
      () => {
        this.#busy = false;
        if (this.#closed) return;
        if (ackCount !== undefined) this.#socket.write(encodeTcpAck(ackCount));
        this.#armTimer();
        if (this.#draining) {
          this.close('shutdown');
          return;
        }
        if (this.#socket.isPaused()) this.#socket.resume();
        this.#process();
      },
      () => {
        this.#busy = false;
        // Nothing was acknowledged: the device keeps the packet and resends on a new connection.
        this.close('kafka_unavailable');
      },
    );
  }
}
