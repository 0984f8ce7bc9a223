import { connect, type AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { createHttp1Server, type StubRequest, type StubResponder } from '../src/http1-server.ts';

type Server = ReturnType<typeof createHttp1Server>;

/** A server whose handler answers `/slow` after 60 ms and anything else at once, echoing the path. */
async function start(
  handle?: (req: StubRequest, res: StubResponder) => void,
): Promise<{ server: Server; port: number; seen: StubRequest[] }> {
  const seen: StubRequest[] = [];
  const server = createHttp1Server(
    handle ??
      ((req, res) => {
        seen.push(req);
        const body = JSON.stringify({ method: req.method, path: req.path });
        if (req.path === '/slow') setTimeout(() => res.send(200, body), 60);
        else res.send(200, body, 'x-extra: 1\r\n');
      }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, seen };
}

/** A raw connection; `closed` resolves with everything read once the connection is closed. */
function open(port: number): { socket: ReturnType<typeof connect>; closed: Promise<string> } {
  const socket = connect(port, '127.0.0.1');
  let got = '';
  socket.setEncoding('latin1');
  socket.on('data', (d: string) => (got += d));
  return { socket, closed: new Promise((resolve) => socket.on('close', () => resolve(got))) };
}

/** Writes `raw` on one connection and collects everything until the server closes it or `ms` pass. */
function exchange(port: number, raw: string, ms = 500): Promise<string> {
  const { socket, closed } = open(port);
  const timer = setTimeout(() => socket.destroy(), ms);
  socket.write(raw);
  return closed.finally(() => clearTimeout(timer));
}

const statusLines = (raw: string) => raw.split('\r\n').filter((l) => l.startsWith('HTTP/1.1 '));
const bodies = (raw: string) =>
  [...raw.matchAll(/\{[^}]*\}/g)].map((m) => JSON.parse(m[0]) as unknown);

describe('the stub HTTP/1.1 server', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  test('serves many requests on one kept-alive connection, with the query string cut off the path', async () => {
    // Prepare
    const started = await start();
    server = started.server;
    const agent = new Agent({ connections: 1 });
    const connections = new Set<unknown>();
    agent.on('connect', (_origin, targets) => connections.add(targets));

    // Act
    const answers = [];
    for (let i = 0; i < 5; i++) {
      const res = await request(`http://127.0.0.1:${started.port}/assets/d${i}?x=1`, {
        dispatcher: agent,
      });
      answers.push({
        status: res.statusCode,
        extra: res.headers['x-extra'],
        type: res.headers['content-type'],
        body: await res.body.json(),
      });
    }
    await agent.close();

    // Assess
    expect(answers).toEqual(
      [0, 1, 2, 3, 4].map((i) => ({
        status: 200,
        extra: '1',
        type: 'application/json',
        body: { method: 'GET', path: `/assets/d${i}` },
      })),
    );
    expect(connections.size).toBe(1);
  });

  test('answers pipelined requests in request order even when the first is the slowest', async () => {
    // Prepare
    const started = await start();
    server = started.server;

    // Act: three requests in one write; the last says close
    const raw = await exchange(
      started.port,
      'GET /slow HTTP/1.1\r\nhost: x\r\n\r\nGET /a HTTP/1.1\r\nhost: x\r\n\r\nGET /b HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n',
      2_000,
    );

    // Assess
    expect(bodies(raw)).toEqual([
      { method: 'GET', path: '/slow' },
      { method: 'GET', path: '/a' },
      { method: 'GET', path: '/b' },
    ]);
    expect(raw).toContain('connection: close');
  });

  test('reads a request split across many writes, and skips a content-length body', async () => {
    // Prepare
    const started = await start();
    server = started.server;
    const { socket, closed } = open(started.port);

    // Act
    for (const part of [
      'PO',
      'ST /p HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\n',
      '\r\nhel',
      'loGET /q HTTP/1.1\r\n',
      'connection: close\r\n\r\n',
    ]) {
      socket.write(part);
      await new Promise((r) => setTimeout(r, 10));
    }
    const got = await closed;

    // Assess
    expect(bodies(got)).toEqual([
      { method: 'POST', path: '/p' },
      { method: 'GET', path: '/q' },
    ]);
  });

  test.each([
    ['a malformed request line', 'BROKEN\r\n\r\n', 'HTTP/1.1 400 Bad Request'],
    [
      'a malformed content-length',
      'POST /p HTTP/1.1\r\ncontent-length: 5x\r\n\r\nhello',
      'HTTP/1.1 400 Bad Request',
    ],
    [
      'a chunked body',
      'POST /p HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n',
      'HTTP/1.1 501 Not Implemented',
    ],
    [
      'a head over the limit',
      `GET /p HTTP/1.1\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`,
      'HTTP/1.1 431 Request Header Fields Too Large',
    ],
  ])(
    '%s gets a clear status and the connection closed, and the handler never sees it',
    async (_case, raw, status) => {
      // Prepare
      const started = await start();
      server = started.server;

      // Act
      const got = await exchange(started.port, raw, 2_000);

      // Assess: the server closed the connection (before the 2 s guard)
      expect(statusLines(got)).toEqual([status]);
      expect(got).toContain('connection: close');
      expect(started.seen).toEqual([]);
    },
  );

  test('a client that half-closes after its requests gets every answer, then the server ends too', async () => {
    // Prepare
    const started = await start();
    server = started.server;
    const { socket, closed } = open(started.port);

    // Act: the slow answer comes 60 ms after the client's FIN
    socket.end('GET /slow HTTP/1.1\r\n\r\nGET /a HTTP/1.1\r\n\r\n');
    const got = await closed;

    // Assess
    expect(bodies(got)).toEqual([
      { method: 'GET', path: '/slow' },
      { method: 'GET', path: '/a' },
    ]);
  });

  test('an HTTP/1.0 request is answered and the connection closed', async () => {
    // Prepare
    const started = await start();
    server = started.server;

    // Act
    const got = await exchange(started.port, 'GET /old HTTP/1.0\r\n\r\n', 2_000);

    // Assess
    expect(statusLines(got)).toEqual(['HTTP/1.1 200 OK']);
    expect(bodies(got)).toEqual([{ method: 'GET', path: '/old' }]);
  });

  test('a client gone before its answer: the responder says closed, the server stays up', async () => {
    // Prepare
    let responder: StubResponder | undefined;
    const started = await start((req, res) => {
      if (req.path === '/y') res.send(200, '{"ok":true}');
      else responder = res;
    });
    server = started.server;
    const socket = connect(started.port, '127.0.0.1');
    socket.write('GET /x HTTP/1.1\r\n\r\n');
    await new Promise<void>((resolve) => {
      const wait = setInterval(() => responder && (clearInterval(wait), resolve()), 5);
    });

    // Act
    socket.destroy();
    await new Promise((r) => setTimeout(r, 50));
    responder?.send(200, '{}');
    const later = await exchange(
      started.port,
      'GET /y HTTP/1.1\r\nconnection: close\r\n\r\n',
      2_000,
    );

    // Assess
    expect(responder?.closed).toBe(true);
    expect(bodies(later)).toEqual([{ ok: true }]);
  });
});
