/**
 * What the commands that talk to a running coordinator over HTTP share
 * (`sluice trigger`, `sluice query`): the request with the token, the error
 * for a coordinator that does not answer, and its refusals as coded errors.
 */
import { ErrorCodes, SluiceError, type ErrorCode } from '../../core/index.ts';
import type { Topology } from '../../topology/index.ts';

/** A mistyped node is caught before any request: the file names the topology's nodes. */
export function requireNode(topology: Topology, node: string): void {
  if (!topology.nodes.some((n) => n.id === node)) {
    throw new SluiceError(ErrorCodes.CLI_USAGE, `no node \`${node}\` in ${topology.file}; nodes: ${topology.nodes.map((n) => n.id).join(', ')}`);
  }
}

/** What the coordinator answers a request it refuses. */
export interface Refusal {
  error: string;
  code?: string;
}

const knownCodes = new Set<string>(Object.values(ErrorCodes));

/** The refusal as a SluiceError with the coordinator's code when it is one of ours, else `fallback`. */
export function refusal(status: number, body: Refusal, sentToken: boolean, fallback: ErrorCode): SluiceError {
  const code = body.code !== undefined && knownCodes.has(body.code) ? (body.code as ErrorCode) : fallback;
  const hint = code === ErrorCodes.HTTP_UNAUTHORIZED && !sentToken ? ' (set SLUICE_TOKEN or give --token-file)' : '';
  return new SluiceError(code, `coordinator refused (${status}): ${body.error}${hint}`);
}

/** Sends the request with the token (when one is set); `where` names the coordinator for the error when nothing answers. */
export async function requestCoordinator(url: string | URL, init: RequestInit, token: string | undefined, where: string): Promise<Response> {
  try {
    return await fetch(url, { ...init, headers: { ...(init.headers as Record<string, string> | undefined), ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}) } });
  } catch (err) {
    throw new SluiceError(ErrorCodes.COORDINATOR_UNREACHABLE, `no coordinator answers on ${where}`, { cause: err });
  }
}

/** `--url`: the coordinator's address, with a trailing slash so routes resolve under it. */
export function coordinatorUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new SluiceError(ErrorCodes.CLI_USAGE, `--url \`${text}\` is not a URL (http://host:port)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new SluiceError(ErrorCodes.CLI_USAGE, `--url must be http:// or https://; got \`${text}\``);
  // The coordinator may sit under a path (a reverse proxy): routes are relative to it.
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}
