/**
 * The coordinator's HTTP face, on node:http: GET /health (liveness: 503 once
 * an instance is marked failed), /ready (every stage this process runs is
 * running and its group stable), /metrics (Prometheus text), /status (JSON),
 * / (the status page), and POST /nodes/<id>/trigger. Bound to 127.0.0.1
 * unless told otherwise: it can start stages, so it is not for the open net.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TriggerResult } from './runner.ts';

export interface Probe {
  ok: boolean;
  [detail: string]: unknown;
}

/** What the server shows; the coordinator answers each from its latest state. */
export interface HttpSource {
  health(): Probe;
  ready(): Probe;
  status(): Promise<unknown>;
  metrics(): Promise<{ contentType: string; body: string }>;
  page(): Promise<string>;
  trigger(node: string): TriggerResult;
}

export interface HttpServer {
  /** `http://host:port`, with the port actually bound. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

function json(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value, null, 2) + '\n');
}

async function route(source: HttpSource, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  const trigger = /^\/nodes\/([^/]+)\/trigger$/.exec(path);
  if (trigger !== null) {
    if (req.method !== 'POST') return json(res, 405, { error: 'POST to trigger a node' });
    const result = source.trigger(decodeURIComponent(trigger[1]!));
    return json(res, result.accepted ? 202 : 409, result);
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { error: `${req.method} is not served here` });
  switch (path) {
    case '/health': {
      const probe = source.health();
      return json(res, probe.ok ? 200 : 503, probe);
    }
    case '/ready': {
      const probe = source.ready();
      return json(res, probe.ok ? 200 : 503, probe);
    }
    case '/metrics': {
      const { contentType, body } = await source.metrics();
      return send(res, 200, contentType, body);
    }
    case '/status':
      return json(res, 200, await source.status());
    case '/':
      return send(res, 200, 'text/html; charset=utf-8', await source.page());
    default:
      return json(res, 404, { error: `no ${path}; try /, /status, /metrics, /health, /ready, POST /nodes/<id>/trigger` });
  }
}

export async function startHttpServer(source: HttpSource, options: { port: number; host: string }): Promise<HttpServer> {
  const server: Server = createServer((req, res) => {
    route(source, req, res).catch((err: unknown) => json(res, 500, { error: err instanceof Error ? err.message : String(err) }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
