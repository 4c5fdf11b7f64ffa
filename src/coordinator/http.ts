/**
 * The coordinator's HTTP face, on node:http: GET /health (liveness: 503 once
 * an instance is marked failed), /ready (every stage this process runs is
 * running and its group stable), /metrics (Prometheus text), /status (JSON),
 * / (the status page), GET /stores/<node>/<store>/<key> (an interactive
 * query of a node's window store or table, see query.ts) and POST /nodes/<id>/trigger.
 * Every request passes the
 * shared request policy first (src/core/http-policy.ts: Host, Origin, token,
 * JSON bodies only); with a token set, only the probes /health and /ready
 * answer without it, since load balancers call them bare. Bound to 127.0.0.1
 * unless told otherwise, and off loopback only with a token (or
 * `insecureNoToken`): it can start stages.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RequestPolicy, readBody, sendError, sendJson, serverTimeouts } from '../core/index.ts';
import type { QueryReply } from './query.ts';
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
  query(node: string, store: string, key: string): Promise<QueryReply>;
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

/** A trigger's body is optional JSON nobody reads yet: bounded so it costs nothing. */
const MAX_TRIGGER_BODY = 64 * 1024;
const REQUEST_TIMEOUT_MS = 30_000;
const PROBES = new Set(['/health', '/ready']);

async function route(source: HttpSource, policy: RequestPolicy, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (policy.screen(req, res, { tokenFree: PROBES.has(path) })) return;
  const json = (status: number, value: unknown) => sendJson(res, status, value);
  const trigger = /^\/nodes\/([^/]+)\/trigger$/.exec(path);
  if (trigger !== null) {
    if (req.method !== 'POST') return json(405, { error: 'POST to trigger a node' });
    await readBody(req, res, { maxBytes: MAX_TRIGGER_BODY });
    const result = source.trigger(decodeURIComponent(trigger[1]!));
    return json(result.accepted ? 202 : 409, result);
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') return json(405, { error: `${req.method} is not served here` });
  const query = /^\/stores\/([^/]+)\/([^/]+)\/(.+)$/.exec(path);
  if (query !== null) {
    let parts: string[];
    try {
      parts = query.slice(1).map((p) => decodeURIComponent(p));
    } catch {
      return json(400, { error: `${path} is not a well-formed URL path (percent-encode the key)` });
    }
    const reply = await source.query(parts[0]!, parts[1]!, parts[2]!);
    return json(reply.status, reply.body);
  }
  switch (path) {
    case '/health': {
      const probe = source.health();
      return json(probe.ok ? 200 : 503, probe);
    }
    case '/ready': {
      const probe = source.ready();
      return json(probe.ok ? 200 : 503, probe);
    }
    case '/metrics': {
      const { contentType, body } = await source.metrics();
      return send(res, 200, contentType, body);
    }
    case '/status':
      return json(200, await source.status());
    case '/':
      return send(res, 200, 'text/html; charset=utf-8', await source.page());
    default:
      return json(404, { error: `no ${path}; try /, /status, /metrics, /health, /ready, /stores/<node>/<store>/<key>, POST /nodes/<id>/trigger` });
  }
}

export interface HttpServerOptions {
  port: number;
  host: string;
  /** Asked of every request but the probes when set. */
  token?: string | undefined;
  /** More Host names served (`--allow-host`). */
  allowHosts?: readonly string[] | undefined;
  /** More origins browsers may send requests from (`--allow-origin`). */
  allowOrigins?: readonly string[] | undefined;
  /** Listen off loopback without a token (`--insecure-no-token`). */
  insecureNoToken?: boolean | undefined;
}

/** The request policy of the coordinator's server; throws SLUICE_ERR_INSECURE off loopback without a token. */
export function coordinatorPolicy(options: HttpServerOptions): RequestPolicy {
  return new RequestPolicy({
    ...options,
    bodyTypes: ['application/json'],
    name: "the coordinator's HTTP server",
    remedy: 'set SLUICE_TOKEN (or --token-file), or pass --insecure-no-token to serve it open',
  });
}

export async function startHttpServer(source: HttpSource, options: HttpServerOptions): Promise<HttpServer> {
  const policy = coordinatorPolicy(options);
  const server: Server = createServer(serverTimeouts(REQUEST_TIMEOUT_MS), (req, res) => {
    route(source, policy, req, res).catch((err: unknown) => sendError(res, err));
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
