import { STATUS_CODES } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';

/** A parsed request: what the stub routes on. */
export interface StubRequest {
  readonly method: string;
  /** The request target without its query string, still percent-encoded. */
  readonly path: string;
  /** `performance.now()` when the request's bytes were read. */
  readonly arrivedAt: number;
}

/** The answer slot of one request; answers go out in request order on their connection. */
export interface StubResponder {
  /** The client has gone (closed or reset): an answer would go nowhere. */
  readonly closed: boolean;
  /** Answers with a JSON body (once; later calls are ignored). */
  send(status: number, body: string, extraHeaders?: string): void;
}

/** Limits of {@link createHttp1Server}. */
export interface Http1ServerOptions {
  /** Closes a connection idle this long (ms); 60 s by default. */
  keepAliveMs?: number;
  /** Largest request head (request line + headers) in bytes; 16 KiB by default, else 431. */
  maxHeadBytes?: number;
}

/** One request's place in its connection's answer queue. */
interface Slot {
  out: string | undefined;
  close: boolean;
}

const HEAD_END = Buffer.from('\r\n\r\n');

/**
 * A lean HTTP/1.1 server on node:net for the stub's only shape of traffic: small GETs answered
 * with small JSON bodies, keep-alive, pipelining answered in order. node:http does the same at
 * ~1.5× the CPU per request and, on the 2-core bench machine, ~1.5 ms more per round trip; a stub
 * that costs its client round-trip time makes the enrich bench measure the stub.
 *
 * What it does not do, by design: request bodies (a `content-length` body is read and ignored;
 * `transfer-encoding` is answered 501 and the connection closed), upgrades, expect/continue.
 * Malformed request lines and content-lengths get 400 and a close; a head over `maxHeadBytes` gets 431 and a close.
 */
export function createHttp1Server(
  handle: (req: StubRequest, res: StubResponder) => void,
  options: Http1ServerOptions = {},
): Server & { closeAllConnections(): void } {
  const keepAliveMs = options.keepAliveMs ?? 60_000;
  const maxHeadBytes = options.maxHeadBytes ?? 16 * 1024;
  const sockets = new Set<Socket>();

  // allowHalfOpen: a client that shuts its sending side after a request still gets the answer.
  const server = createServer({ noDelay: true, allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    const slots: Slot[] = [];
    let pending: Buffer | undefined;
    let skipBody = 0;
    let closing = false; // a `connection: close` (or error) answer is queued: read no more
    let peerEnded = false; // the client sent FIN: answer what is queued, then end

    const flush = (): void => {
      let out = '';
      let close = false;
      while (slots.length > 0 && (slots[0] as Slot).out !== undefined) {
        const slot = slots.shift() as Slot;
        out += slot.out as string;
        if (slot.close) {
          close = true;
          slots.length = 0;
          break;
        }
      }
      if (out === '' || socket.destroyed) return;
      if (close || (peerEnded && slots.length === 0)) socket.end(out, 'latin1');
      else socket.write(out, 'latin1');
    };

    const answer = (slot: Slot, status: number, body: string, extraHeaders = ''): void => {
      if (slot.out !== undefined) return;
      const connection = slot.close ? 'close' : 'keep-alive';
      slot.out = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\ndate: ${httpDate()}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: ${connection}\r\n${extraHeaders}\r\n${body}`;
      if (slots[0] === slot) flush();
    };

    /** Queues an answer that ends the connection, and stops reading. */
    const refuse = (status: number, message: string): void => {
      closing = true;
      const slot: Slot = { out: undefined, close: true };
      slots.push(slot);
      answer(slot, status, JSON.stringify({ error: message }));
    };

    const onRequest = (head: string, arrivedAt: number): void => {
      const lineEnd = head.indexOf('\r\n');
      const line = lineEnd < 0 ? head : head.slice(0, lineEnd);
      const parts = line.split(' ');
      if (
        parts.length !== 3 ||
        !(parts[2] as string).startsWith('HTTP/1.') ||
        (parts[1] as string)[0] !== '/'
      ) {
        refuse(400, 'malformed request line');
        return;
      }
      const method = parts[0] as string;
      const target = parts[1] as string;
      let close = parts[2] === 'HTTP/1.0';
      for (const header of lineEnd < 0 ? [] : head.slice(lineEnd + 2).split('\r\n')) {
        const colon = header.indexOf(':');
        if (colon <= 0) continue;
        const name = header.slice(0, colon).trim().toLowerCase();
        const value = header
          .slice(colon + 1)
          .trim()
          .toLowerCase();
        if (name === 'connection') {
          const tokens = value.split(',').map((t) => t.trim());
          close = tokens.includes('close') || (close && !tokens.includes('keep-alive'));
        } else if (name === 'content-length') {
          if (!/^\d+$/.test(value)) {
            refuse(400, 'malformed content-length');
            return;
          }
          skipBody = Number(value);
        } else if (name === 'transfer-encoding') {
          refuse(501, 'request bodies are not supported');
          return;
        }
      }
      if (close) closing = true;
      const slot: Slot = { out: undefined, close };
      slots.push(slot);
      const query = target.indexOf('?');
      handle(
        { method, path: query < 0 ? target : target.slice(0, query), arrivedAt },
        {
          get closed() {
            return socket.destroyed;
          },
          send: (status, body, extraHeaders) => answer(slot, status, body, extraHeaders),
        },
      );
    };

    socket.on('data', (chunk: Buffer) => {
      const arrivedAt = performance.now();
      let data = pending === undefined ? chunk : Buffer.concat([pending, chunk]);
      pending = undefined;
      while (!closing && data.length > 0) {
        if (skipBody > 0) {
          const n = Math.min(skipBody, data.length);
          skipBody -= n;
          data = data.subarray(n);
          continue;
        }
        const end = data.indexOf(HEAD_END);
        if (end < 0) {
          if (data.length > maxHeadBytes) refuse(431, 'request head too large');
          else pending = data;
          return;
        }
        if (end > maxHeadBytes) {
          refuse(431, 'request head too large');
          return;
        }
        onRequest(data.toString('latin1', 0, end), arrivedAt);
        data = data.subarray(end + 4);
      }
    });
    socket.setTimeout(keepAliveMs, () => {
      if (slots.length === 0) socket.destroy();
    });
    socket.on('end', () => {
      peerEnded = true;
      closing = true;
      if (slots.length === 0) socket.end();
    });
    socket.on('error', () => socket.destroy()); // a reset client: its answers are dropped
    socket.on('close', () => sockets.delete(socket));
  });

  return Object.assign(server, {
    closeAllConnections: () => {
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    },
  });
}

let dateSecond = -1;
let dateText = '';

/** The Date header's value, formatted once per second. */
function httpDate(): string {
  const second = Math.floor(Date.now() / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(second * 1000).toUTCString();
  }
  return dateText;
}
