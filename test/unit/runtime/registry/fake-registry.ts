/**
 * A tiny in-memory Confluent Schema Registry over node:http, for unit tests of
 * the client: it counts requests, can answer 503 for a while, and refuses a
 * registration under a subject whose `rejects` predicate says so (409).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeRegistry {
  url: string;
  requests: Array<{ method: string; path: string; headers: IncomingMessage['headers'] }>;
  /** The next `n` requests get 503. */
  failNext(n: number): void;
  /** Registrations of schemas containing this text are refused with 409 and `reason`. */
  reject(text: string, reason: string): void;
  close(): Promise<void>;
}

export async function startFakeRegistry(): Promise<FakeRegistry> {
  const schemas: string[] = [];
  const subjects = new Map<string, number[]>();
  const requests: FakeRegistry['requests'] = [];
  let failing = 0;
  const rejections: Array<[string, string]> = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      requests.push({ method: req.method!, path: req.url!, headers: req.headers });
      const reply = (status: number, value: unknown) => {
        res.writeHead(status, { 'content-type': 'application/vnd.schemaregistry.v1+json' });
        res.end(JSON.stringify(value));
      };
      if (failing > 0) {
        failing--;
        return reply(503, { error_code: 50003, message: 'backing store unavailable' });
      }
      const url = new URL(req.url!, 'http://x');
      const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
      const schema = body === '' ? '' : (JSON.parse(body) as { schema: string }).schema;
      if (req.method === 'GET' && parts[0] === 'schemas' && parts[1] === 'ids') {
        const text = schemas[Number(parts[2]) - 1];
        return text === undefined ? reply(404, { error_code: 40403, message: 'Schema not found' }) : reply(200, { schema: text });
      }
      if (req.method === 'POST' && parts[0] === 'subjects' && parts[2] === 'versions') {
        const refused = rejections.find(([text]) => schema.includes(text));
        if (refused !== undefined) return reply(409, { error_code: 409, message: refused[1] });
        let id = schemas.indexOf(schema) + 1;
        if (id === 0) id = schemas.push(schema);
        const versions = subjects.get(parts[1]!) ?? [];
        if (!versions.includes(id)) versions.push(id);
        subjects.set(parts[1]!, versions);
        return reply(200, { id });
      }
      if (req.method === 'POST' && parts[0] === 'subjects' && parts.length === 2) {
        const id = schemas.indexOf(schema) + 1;
        if (id === 0 || !(subjects.get(parts[1]!) ?? []).includes(id)) return reply(404, { error_code: 40403, message: 'Schema not found' });
        return reply(200, { subject: parts[1], id, version: 1, schema });
      }
      if (req.method === 'POST' && parts[0] === 'compatibility') {
        if (!subjects.has(parts[2]!)) return reply(404, { error_code: 40401, message: 'Subject not found' });
        const refused = rejections.find(([text]) => schema.includes(text));
        return reply(200, refused === undefined ? { is_compatible: true } : { is_compatible: false, messages: [refused[1]] });
      }
      reply(404, { error_code: 404, message: `no route ${req.method} ${url.pathname}` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    failNext: (n) => (failing = n),
    reject: (text, reason) => rejections.push([text, reason]),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
