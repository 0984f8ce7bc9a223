import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { decodeUdpPacket, encodeUdpAck, isTelemetryError } from '@fleetstream/telemetry';
import type { RawInput } from './raw-record.ts';

export interface UdpListenerOptions {
  port: number;
  host: string;
  rawTopic: string;
  /** Datagrams being forwarded at once; more are dropped unanswered (the device resends). */
  maxInFlight: number;
  allowImei(imei: string): boolean;
  forward(input: RawInput): Promise<void>;
  deadLetter(input: RawInput, error: unknown): Promise<void>;
  onDropped(reason: 'overload' | 'login_rejected' | 'kafka_unavailable'): void;
}

/**
 * Teltonika over UDP: one datagram = one AVL packet naming its IMEI; no login, no CRC. A valid
 * packet is forwarded to the raw topic (protocol teltonika-udp, value = the datagram) and answered
 * with the UDP ack only once Kafka acknowledged it; an undecodable one goes to the DLQ unanswered.
 * In-flight datagrams are capped so a flood cannot hold unbounded memory.
 */
export class UdpListener {
  readonly #o: UdpListenerOptions;
  readonly #socket: Socket;
  #inFlight = 0;
  #idle: (() => void)[] = [];

  constructor(options: UdpListenerOptions) {
    this.#o = options;
    this.#socket = createSocket('udp4');
    this.#socket.on('message', (msg, rinfo) => this.#onMessage(msg, rinfo));
  }

  start(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#socket.once('error', reject);
      this.#socket.bind(this.#o.port, this.#o.host, () => {
        this.#socket.off('error', reject);
        this.#socket.on('error', () => undefined);
        resolve(this.#socket.address().port);
      });
    });
  }

  #onMessage(msg: Buffer, rinfo: RemoteInfo): void {
    if (this.#inFlight >= this.#o.maxInFlight) {
      this.#o.onDropped('overload');
      return;
    }
    const input: RawInput = { topic: this.#o.rawTopic, key: '', value: Buffer.from(msg), protocol: 'teltonika-udp', receivedAt: Date.now(), remote: `${rinfo.address}:${rinfo.port}` };
    let work: Promise<void>;
    let ack: Buffer | undefined;
    try {
      const packet = decodeUdpPacket(msg);
      if (!this.#o.allowImei(packet.imei)) {
        this.#o.onDropped('login_rejected');
        return;
      }
      input.key = packet.imei;
      input.codec = packet.codecId;
      ack = encodeUdpAck({ packetId: packet.packetId, notUsable: packet.notUsable, avlPacketId: packet.avlPacketId, acceptedCount: packet.records.length });
      work = this.#o.forward(input);
    } catch (err) {
      if (!isTelemetryError(err)) throw err;
      work = this.#o.deadLetter(input, err);
    }
    this.#inFlight += 1;
    work.then(
      () => {
        if (ack) this.#socket.send(ack, rinfo.port, rinfo.address);
      },
      () => this.#o.onDropped('kafka_unavailable'),
    ).finally(() => {
      this.#inFlight -= 1;
      if (this.#inFlight === 0) for (const done of this.#idle.splice(0)) done();
    });
  }

  /** Stops receiving and waits (bounded by the caller) for the datagrams in flight. */
  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      try {
        this.#socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
    if (this.#inFlight > 0) await new Promise<void>((resolve) => this.#idle.push(resolve));
  }
}
