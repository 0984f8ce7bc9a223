// @servers kafka
import { request } from 'node:http';
import { startGateway } from './helpers/gateway.ts';
import { createTopics, deleteTopics, readTopic, suffix } from './helpers/kafka.ts';

const event = (deviceId: string, eventTime: number) => ({ deviceId, eventTime, position: { lat: 54.7009616, lon: 25.2598066, speed: 12 }, io: { '239': 1 } });

describe('HTTP JSON ingest (POST /v1/telemetry)', () => {
  const topic = `telemetry.raw.gw-http-${suffix()}`;
  let gw: Awaited<ReturnType<typeof startGateway>>;
  let url: string;
  const post = (body: string, headers: Record<string, string> = { authorization: 'Bearer good-token' }) =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

  beforeAll(async () => {
    await createTopics([topic], 6);
    gw = await startGateway({ RAW_TOPIC: topic, GATEWAY_TOKENS: 'other-token,good-token', GATEWAY_MAX_BODY_BYTES: '2048', GATEWAY_HTTP_MAX_IN_FLIGHT: '2' });
    url = `http://127.0.0.1:${gw.gateway.httpPort}/v1/telemetry`;
    await gw.untilReady();
  });

  afterAll(async () => {
    await gw?.shutdown();
    await deleteTopics([topic]);
  });

  it('answers 202 once the body is in the raw topic: one device as posted, a mixed batch split per device', async () => {
    // Prepare
    const single = JSON.stringify(event('dev-a', 1_700_000_000_000));
    const mixed = { events: [event('dev-b', 1), event('dev-c', 2), event('dev-b', 3)] };

    // Act
    const r1 = await post(single);
    const r2 = await post(JSON.stringify(mixed));
    const stored = await readTopic(topic);

    // Assess
    expect(r1.status).toBe(202);
    expect(await r1.json()).toEqual({ accepted: 1, records: 1 });
    expect(r2.status).toBe(202);
    expect(await r2.json()).toEqual({ accepted: 3, records: 2 });
    const byKey = Object.fromEntries(stored.map((r) => [r.key, r]));
    expect(Object.keys(byKey).sort()).toEqual(['dev-a', 'dev-b', 'dev-c']);
    expect(byKey['dev-a']!.value.toString()).toBe(single);
    expect(byKey['dev-a']!.headers.protocol).toBe('json');
    expect(Number(byKey['dev-a']!.headers.receivedAt)).toBeGreaterThan(0);
    expect(JSON.parse(byKey['dev-b']!.value.toString())).toEqual({ events: [mixed.events[0], mixed.events[2]] });
    expect(JSON.parse(byKey['dev-c']!.value.toString())).toEqual({ events: [mixed.events[1]] });
  });

  it('answers 400 with the field errors of an invalid body', async () => {
    // Act
    const res = await post(JSON.stringify({ deviceId: 'dev-a', eventTime: 'soon', position: { lat: 91, lon: 25 }, lng: 1 }));

    // Assess
    expect(res.status).toBe(400);
    const body = (await res.json()) as { errors: { path: string; message: string }[] };
    expect(body.errors.map((e) => e.path).sort()).toEqual(['/eventTime', '/lng', '/position/lat']);
  });

  it('answers 400 for a body that is not JSON', async () => {
    // Act
    const res = await post('{"deviceId":');

    // Assess
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: { path: string }[] }).errors[0]!.path).toBe('');
  });

  it('answers 413 for a body over the limit', async () => {
    // Act
    const res = await post(JSON.stringify({ events: Array.from({ length: 40 }, (_, i) => event('dev-z', i)) }));

    // Assess
    expect(res.status).toBe(413);
  });

  it('answers 413 for a chunked body without a length once it passes the limit, without reading the rest', async () => {
    // Prepare: a body that streams 1 KiB chunks with no content-length.
    const req = request(url, { method: 'POST', headers: { authorization: 'Bearer good-token', 'transfer-encoding': 'chunked' } });
    req.on('error', () => undefined);
    const response = new Promise<number>((resolve) => req.on('response', (res) => resolve(res.statusCode ?? 0)));

    // Act
    for (let i = 0; i < 8; i++) req.write(Buffer.alloc(1024, 0x20));
    const status = await response;
    req.destroy();

    // Assess
    expect(status).toBe(413);
  });

  it('answers 401 without a bearer token and 403 with a wrong one', async () => {
    // Act
    const missing = await post(JSON.stringify(event('dev-a', 1)), {});
    const wrong = await post(JSON.stringify(event('dev-a', 1)), { authorization: 'Bearer good-tokeN' });

    // Assess
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    expect(wrong.status).toBe(403);
    expect(await gw.metric('fleetstream_gateway_http_requests_total', { status: '403' })).toBe(1);
  });

  it('answers 503 with retry-after while GATEWAY_HTTP_MAX_IN_FLIGHT requests are still being read, and takes posts again once they end', async () => {
    // Prepare: two authorized requests that announce a body and send only part of it hold both slots.
    const body = JSON.stringify(event('dev-slow', 1));
    const slow = [0, 1].map(() => {
      const req = request(url, { method: 'POST', headers: { authorization: 'Bearer good-token', 'content-type': 'application/json', 'content-length': String(body.length) } });
      req.on('error', () => undefined);
      const status = new Promise<number>((resolve) => req.on('response', (res) => resolve(res.statusCode ?? 0)));
      req.write(body.slice(0, 10));
      return { req, status };
    });
    await new Promise((r) => setTimeout(r, 300));

    // Act
    const refused = await post(JSON.stringify(event('dev-b', 2)));
    for (const s of slow) s.req.end(body.slice(10));
    const held = await Promise.all(slow.map((s) => s.status));
    const after = await post(JSON.stringify(event('dev-b', 3)));

    // Assess
    expect([refused.status, refused.headers.get('retry-after')]).toEqual([503, '1']);
    expect(held).toEqual([202, 202]);
    expect(after.status).toBe(202);
  });
});
