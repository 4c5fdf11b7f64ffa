/**
 * The schema registry the integration tests use (test/setup/registry.ts starts it, or
 * SCHEMA_REGISTRY_URL names one), and a counting proxy in front of it that can play an outage.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { inject } from 'vitest';

/** The run's schema registry (Confluent REST API base URL); fails the calling test with the reason when there is none. */
export function registryUrl(): string {
  const unavailable = inject('registryUnavailable');
  if (unavailable) throw new Error(unavailable);
  return inject('registryUrl').replace(/\/+$/, '');
}

export interface RegistryProxy {
  url: string;
  /** Requests that reached the registry, as `METHOD /path`. */
  requests: string[];
  /** While down, every connection is reset: the registry is unreachable. */
  down: boolean;
  close(): Promise<void>;
}

export async function startRegistryProxy(target: string): Promise<RegistryProxy> {
  const base = new URL(target);
  const sockets = new Set<Socket>();
  const proxy: RegistryProxy = { url: '', requests: [], down: false, close: async () => undefined };
  const server: Server = createServer((req, res) => {
    if (proxy.down) {
      req.socket.destroy();
      return;
    }
    const path = `${base.pathname.replace(/\/$/, '')}${req.url!}`;
    proxy.requests.push(`${req.method} ${req.url!.split('?')[0]}`);
    const upstream = request({ host: base.hostname, port: base.port, method: req.method, path, headers: { ...req.headers, host: base.host } }, (up) => {
      res.writeHead(up.statusCode!, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return proxy;
}
