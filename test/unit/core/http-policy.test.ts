/**
 * The request policy both HTTP servers share, on a real node:http server on
 * loopback: Host, Origin and CORS preflights, body media types, the token
 * (Bearer and Basic, constant time), body limits and the budget of bytes held
 * across requests. Requests go through node:http's client, which, unlike
 * fetch, may send any Host and Origin.
 */
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ByteBudget,
  ErrorCodes,
  RequestPolicy,
  assertGuarded,
  isLoopback,
  readBody,
  sendError,
  sendJson,
  type Body,
  type RequestPolicyOptions,
} from '../../../src/core/index.ts';

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: { error?: string; code?: string; size?: number };
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

const base: RequestPolicyOptions = { host: '127.0.0.1', bodyTypes: ['application/json'], name: 'the test server', remedy: 'give it a token' };

/** A server that screens every request, reads its body under `maxBytes` and answers its size; `/health` needs no token. */
async function serve(options: Partial<RequestPolicyOptions> = {}, maxBytes = 1024, host = '127.0.0.1'): Promise<{ port: number; bodies: Array<Promise<Body>> }> {
  const policy = new RequestPolicy({ ...base, host, ...options });
  const bodies: Array<Promise<Body>> = [];
  const server = createServer((req, res) => {
    if (policy.screen(req, res, { tokenFree: req.url === '/health' })) return;
    const body = readBody(req, res, { maxBytes });
    bodies.push(body);
    body.then((b) => sendJson(res, 200, { size: b.bytes }), (err: unknown) => sendError(res, err));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, host, r));
  return { port: (server.address() as AddressInfo).port, bodies };
}

function send(port: number, options: { method?: string; path?: string; headers?: Record<string, string>; body?: string; host?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: options.host ?? '127.0.0.1', port, method: options.method ?? 'GET', path: options.path ?? '/', headers: options.headers, setHost: options.headers?.host === undefined },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text === '' ? {} : (JSON.parse(text) as Answer['body']) }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const json = { 'content-type': 'application/json' };

describe('Host', () => {
  it('serves loopback names and the bound address, with the port served or none, and nothing else', async () => {
    const { port } = await serve();
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, 'localhost', 'LOCALHOST', '127.0.0.1']) {
      expect((await send(port, { headers: { host } })).status, host).toBe(200);
    }
    for (const host of ['attacker.example', `attacker.example:${port}`, `localhost:${port + 1}`, `127.0.0.1.attacker.example:${port}`, 'localhost:abc', '']) {
      const answer = await send(port, { headers: { host } });
      expect(answer.status, host).toBe(403);
      expect(answer.body.code).toBe(ErrorCodes.HTTP_HOST);
    }
  });

  it('serves the address it is bound to besides 127.0.0.1', async () => {
    const { port } = await serve({}, 1024, '127.0.0.2');
    expect((await send(port, { host: '127.0.0.2', headers: { host: `127.0.0.2:${port}` } })).status).toBe(200);
    expect((await send(port, { host: '127.0.0.2', headers: { host: `127.0.0.3:${port}` } })).status).toBe(403);
  });

  it('serves names given to it: any port for a bare name, the one port for name:port', async () => {
    const { port } = await serve({ allowHosts: ['sluice.example', 'api.example:8443'] });
    expect((await send(port, { headers: { host: 'sluice.example' } })).status).toBe(200);
    expect((await send(port, { headers: { host: 'sluice.example:9999' } })).status).toBe(200);
    expect((await send(port, { headers: { host: 'api.example:8443' } })).status).toBe(200);
    expect((await send(port, { headers: { host: 'api.example' } })).status).toBe(403);
    expect((await send(port, { headers: { host: 'api.example:8444' } })).status).toBe(403);
  });

  it('refuses a request without a Host header (HTTP/1.0)', async () => {
    const { port } = await serve();
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (c: Buffer) => (text += c.toString()));
    socket.end('GET / HTTP/1.0\r\n\r\n');
    await new Promise((r) => socket.once('close', r));
    expect(text).toMatch(/^HTTP\/1\.1 403 /);
    expect(text).toContain(ErrorCodes.HTTP_HOST);
  });

  it('refuses names that are not host names when configured', () => {
    expect(() => new RequestPolicy({ ...base, allowHosts: ['http://x'] })).toThrow(expect.objectContaining({ code: ErrorCodes.CONFIG_INVALID }));
    expect(() => new RequestPolicy({ ...base, allowOrigins: ['app.example'] })).toThrow(expect.objectContaining({ code: ErrorCodes.CONFIG_INVALID }));
  });
});

describe('Origin and CORS', () => {
  it('lets requests without an Origin or from the server’s own origin through, and refuses any other', async () => {
    const { port } = await serve();
    const host = `localhost:${port}`;
    expect((await send(port, { headers: { host } })).status).toBe(200);
    const own = await send(port, { headers: { host, origin: `http://${host}` } });
    expect(own.status).toBe(200);
    expect(own.headers['access-control-allow-origin']).toBeUndefined();
    expect((await send(port, { headers: { host, origin: `https://${host}` } })).status).toBe(200);
    for (const origin of ['http://attacker.example', `http://127.0.0.1:${port}`, `http://localhost:${port + 1}`, 'null']) {
      const answer = await send(port, { headers: { host, origin } });
      expect(answer.status, origin).toBe(403);
      expect(answer.body.code).toBe(ErrorCodes.HTTP_ORIGIN);
      expect(answer.headers['access-control-allow-origin']).toBeUndefined();
    }
  });

  it('answers a preflight from a foreign origin with 403 and nothing that lets the request through', async () => {
    const { port } = await serve();
    const answer = await send(port, {
      method: 'OPTIONS',
      headers: { origin: 'http://attacker.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(answer.status).toBe(403);
    expect(Object.keys(answer.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
  });

  it('answers CORS for an allowed origin: preflight and request, varying by Origin', async () => {
    const { port } = await serve({ allowOrigins: ['https://App.example/'] });
    const origin = 'https://app.example';
    const preflight = await send(port, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers).toMatchObject({
      'access-control-allow-origin': origin,
      'access-control-allow-headers': 'authorization, content-type',
      vary: 'Origin',
    });
    const post = await send(port, { method: 'POST', headers: { ...json, origin }, body: '{}' });
    expect(post.status).toBe(200);
    expect(post.headers['access-control-allow-origin']).toBe(origin);
  });
});

describe('request bodies', () => {
  it.each([
    ['text/plain', 'a form or a no-cors fetch'],
    ['text/plain;charset=UTF-8', 'a no-cors fetch of a string'],
    ['application/x-www-form-urlencoded', 'a form'],
    ['multipart/form-data; boundary=x', 'a form'],
    ['', 'no type'],
  ])('refuses a POST of %s (%s) with 415', async (type, _what) => {
    const { port, bodies } = await serve();
    const answer = await send(port, { method: 'POST', headers: type === '' ? {} : { 'content-type': type }, body: '{}' });
    expect(answer.status).toBe(415);
    expect(answer.body.code).toBe(ErrorCodes.HTTP_CONTENT_TYPE);
    expect(bodies).toHaveLength(0);
  });

  it('takes a body of an allowed type, parameters aside', async () => {
    const { port } = await serve();
    expect(await send(port, { method: 'POST', headers: { 'content-type': 'Application/JSON; charset=utf-8' }, body: '{"a":1}' })).toMatchObject({ status: 200, body: { size: 7 } });
  });

  it('refuses a body over the limit with 413: declared, before reading it, or chunked, once past it', async () => {
    const { port, bodies } = await serve({}, 100);
    const declared = await send(port, { method: 'POST', headers: json, body: 'x'.repeat(101) });
    expect(declared).toMatchObject({ status: 413, body: { code: ErrorCodes.HTTP_BODY_LIMIT } });
    const chunked = await send(port, { method: 'POST', headers: { ...json, 'transfer-encoding': 'chunked' }, body: 'x'.repeat(5_000) });
    expect(chunked).toMatchObject({ status: 413, body: { code: ErrorCodes.HTTP_BODY_LIMIT } });
    expect(await send(port, { method: 'POST', headers: json, body: 'x'.repeat(100) })).toMatchObject({ status: 200, body: { size: 100 } });
    await expect(bodies[0]).rejects.toMatchObject({ code: ErrorCodes.HTTP_BODY_LIMIT });
  });

  it('fails a body the client cuts off, with nothing of it returned', async () => {
    const { port, bodies } = await serve();
    const socket = connect(port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    socket.write(`POST / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"a":`);
    await expect.poll(() => bodies.length).toBe(1);
    socket.destroy();
    await expect(bodies[0]).rejects.toMatchObject({ code: ErrorCodes.HTTP_BODY_INCOMPLETE, message: expect.stringContaining('stopped after 5 of 500 bytes') });
  });
});

describe('token', () => {
  it('asks every request but the token-free ones for it, as Bearer or as a Basic password', async () => {
    const token = 's3cret-token';
    const { port } = await serve({ token });
    const bare = await send(port);
    expect(bare.status).toBe(401);
    expect(bare.body.code).toBe(ErrorCodes.HTTP_UNAUTHORIZED);
    expect(bare.headers['www-authenticate']).toEqual(expect.stringContaining('Bearer realm="sluice"'));
    expect(bare.headers['www-authenticate']).toEqual(expect.stringContaining('Basic realm="sluice"'));
    for (const authorization of ['Bearer wrong', 'Bearer s3cret-token-and-more', 'Bearer ', 'Basic ' + Buffer.from('user:wrong').toString('base64'), 'Token s3cret-token', 's3cret-token']) {
      expect((await send(port, { headers: { authorization } })).status, authorization).toBe(401);
    }
    expect((await send(port, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    expect((await send(port, { headers: { authorization: `bearer ${token}` } })).status).toBe(200);
    expect((await send(port, { headers: { authorization: 'Basic ' + Buffer.from(`any:${token}`).toString('base64') } })).status).toBe(200);
    expect((await send(port, { path: '/health' })).status).toBe(200);
  });

  it('is never asked for a preflight, which browsers send without credentials', async () => {
    const { port } = await serve({ token: 't', allowOrigins: ['http://app.example'] });
    expect((await send(port, { method: 'OPTIONS', headers: { origin: 'http://app.example' } })).status).toBe(204);
  });
});

describe('off loopback', () => {
  it('knows loopback addresses', () => {
    for (const h of ['localhost', '127.0.0.1', '127.1.2.3', '::1', '[::1]', '::ffff:127.0.0.1']) expect(isLoopback(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.5', 'example.com', '128.0.0.1', 'localhost.example.com']) expect(isLoopback(h), h).toBe(false);
  });

  it('refuses to serve off loopback without a token unless told to, and says which setting fixes it', () => {
    expect(() => new RequestPolicy({ ...base, host: '0.0.0.0' })).toThrow(
      expect.objectContaining({ code: ErrorCodes.INSECURE_REFUSED, message: expect.stringContaining('0.0.0.0, which is not a loopback address, without a token') }),
    );
    expect(() => assertGuarded({ ...base, host: '::' })).toThrow(expect.objectContaining({ message: expect.stringContaining('give it a token') }));
    expect(new RequestPolicy({ ...base, host: '0.0.0.0', token: 't' }).unguarded).toBe(false);
    expect(new RequestPolicy({ ...base, host: '0.0.0.0', insecureNoToken: true }).unguarded).toBe(true);
    expect(new RequestPolicy({ ...base }).unguarded).toBe(false);
  });
});

describe('ByteBudget', () => {
  /** Whether a promise has settled, after everything already queued has run. */
  async function settled(p: Promise<unknown>): Promise<boolean> {
    let done = false;
    p.then(
      () => (done = true),
      () => (done = true),
    );
    await new Promise((r) => setImmediate(r));
    return done;
  }

  it('grants in arrival order, whole reservations at a time, and gives back what a body did not need', async () => {
    const budget = new ByteBudget(10);
    const never = new AbortController().signal;
    const first = await budget.take(6, never);
    const big = budget.take(6, never);
    const small = budget.take(1, never);
    // The small one fits, but waits behind the big one: first come, first served.
    expect(await settled(big)).toBe(false);
    expect(await settled(small)).toBe(false);
    first.shrinkTo(4);
    expect(await settled(big)).toBe(true);
    expect(budget.used).toBe(10);
    expect(await settled(small)).toBe(false);
    first.release();
    first.release();
    expect(await settled(small)).toBe(true);
    expect(budget.used).toBe(7);
  });

  it('withdraws a waiting request whose client went away, letting the next one in', async () => {
    const budget = new ByteBudget(10);
    const never = new AbortController().signal;
    const held = await budget.take(8, never);
    const gone = new AbortController();
    const waiting = budget.take(5, gone.signal);
    const next = budget.take(2, never);
    gone.abort();
    await expect(waiting).rejects.toMatchObject({ code: ErrorCodes.HTTP_BODY_INCOMPLETE });
    expect(await settled(next)).toBe(true);
    expect(budget.used).toBe(10);
    held.release();
    expect(budget.used).toBe(2);
  });

  it('refuses a reservation larger than the whole budget', async () => {
    await expect(new ByteBudget(10).take(11, new AbortController().signal)).rejects.toMatchObject({ code: ErrorCodes.HTTP_BODY_LIMIT });
  });
});
