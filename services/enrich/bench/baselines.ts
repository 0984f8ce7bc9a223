/**
 * The bench's two client baselines, each `concurrency` loops of one GET after another against the
 * stub, so the async operator can be compared with what a client without it gets on this machine:
 * - bareUndici: undici's cheapest path, `pool.dispatch` with a handler that keeps the status and
 *   the body (no body stream, no promise per chunk): the floor enrich's own client is built on.
 * - rawHttp: HTTP/1.1 written and read on node:net sockets, each request written in the callback
 *   that read the previous answer: what the machine and the stub allow a client that costs ~nothing.
 */
import { connect, type Socket } from 'node:net';
import { Pool, type Dispatcher } from 'undici';

export interface LoopRun {
  eventsPerSec: number;
  /** The stub's mean hold (its Server-Timing), ms. */
  holdMs: number;
  /** Mean round trip seen by the client, ms. */
  roundTripMs: number;
  /** This process's CPU (user + system) per call, µs: the client's cost, which holds under load. */
  cpuUsPerCall: number;
}

const HOLD = /hold;dur=([\d.]+)/;

function totals(events: number, seconds: number, holdMs: number, roundTripMs: number, cpu: NodeJS.CpuUsage): LoopRun {
  return {
    eventsPerSec: events / seconds,
    holdMs: holdMs / events,
    roundTripMs: roundTripMs / events,
    cpuUsPerCall: (cpu.user + cpu.system) / events,
  };
}

/** `concurrency` loops share `events` requests (after as many untimed); paths `/assets/{prefix}-{i}1`. */
export async function bareUndici(
  url: string,
  concurrency: number,
  events: number,
  prefix: string,
): Promise<LoopRun> {
  const pool = new Pool(url, { connections: concurrency });
  let holdMs = 0;
  let roundTripMs = 0;
  const get = (path: string) =>
    new Promise<void>((resolve, reject) => {
      const sent = performance.now();
      const chunks: Buffer[] = [];
      const handler: Dispatcher.DispatchHandler = {
        onRequestStart: () => undefined,
        onResponseStart: (_c, _status, headers) => {
          holdMs += Number(HOLD.exec(String(headers['server-timing']))?.[1]);
        },
        onResponseData: (_c, chunk) => void chunks.push(chunk),
        onResponseEnd: () => {
          JSON.parse(Buffer.concat(chunks).toString('utf8'));
          roundTripMs += performance.now() - sent;
          resolve();
        },
        onResponseError: (_c, err) => reject(err),
      };
      pool.dispatch({ method: 'GET', path, headers: { accept: 'application/json' } }, handler);
    });
  let next = 0;
  const loop = async () => {
    while (next < events) await get(`/assets/${prefix}-${next++}1`);
  };
  await Promise.all(Array.from({ length: concurrency }, loop)); // warm: connections, JIT
  next = 0;
  holdMs = 0;
  roundTripMs = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, loop));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await pool.close();
  return totals(events, seconds, holdMs, roundTripMs, cpu);
}

/** As {@link bareUndici}, on raw sockets: one connection per loop, one answer in flight on each. */
export async function rawHttp(
  url: string,
  concurrency: number,
  events: number,
  prefix: string,
): Promise<LoopRun> {
  const { hostname, port } = new URL(url);
  const sockets = await Promise.all(
    Array.from(
      { length: concurrency },
      () =>
        new Promise<Socket>((resolve, reject) => {
          const s = connect({ host: hostname, port: Number(port), noDelay: true }, () =>
            resolve(s),
          );
          s.once('error', reject);
        }),
    ),
  );
  const run = (from: number) =>
    new Promise<Pick<LoopRun, 'holdMs' | 'roundTripMs'> & { seconds: number }>((resolve, reject) => {
      let next = from;
      let done = 0;
      let holdMs = 0;
      let roundTripMs = 0;
      const t0 = performance.now();
      for (const socket of sockets) {
        let sent = 0;
        let buffered = '';
        const send = () => {
          if (next >= from + events) return;
          sent = performance.now();
          socket.write(
            `GET /assets/${prefix}-${next++}1 HTTP/1.1\r\nhost: ${hostname}\r\naccept: application/json\r\n\r\n`,
          );
        };
        socket.removeAllListeners('data');
        socket.on('data', (chunk: Buffer) => {
          buffered += chunk.toString('latin1');
          // One answer in flight per connection: complete once the head and its content-length are in.
          const headEnd = buffered.indexOf('\r\n\r\n');
          if (headEnd < 0) return;
          const length = Number(/content-length: *(\d+)/i.exec(buffered.slice(0, headEnd))?.[1]);
          if (buffered.length < headEnd + 4 + length) return;
          holdMs += Number(HOLD.exec(buffered.slice(0, headEnd))?.[1]);
          roundTripMs += performance.now() - sent;
          buffered = '';
          if (++done === events)
            resolve({ seconds: (performance.now() - t0) / 1000, holdMs, roundTripMs });
          else send();
        });
        socket.once('error', reject);
        send();
      }
    });
  await run(0); // warm
  const cpu0 = process.cpuUsage();
  const measured = await run(events);
  const cpu = process.cpuUsage(cpu0);
  for (const socket of sockets) socket.destroy();
  return totals(events, measured.seconds, measured.holdMs, measured.roundTripMs, cpu);
}
