/**
 * The request policy both of sluice's HTTP servers apply before they act on a
 * request: the coordinator's (it starts stages, and /status names members,
 * hosts and topics) and a topology's HTTP source (it injects records).
 *
 * - **Host** must name this server: a loopback name, the bound address, the
 *   address the connection arrived on, or an allowed name. A page on a
 *   DNS-rebinding domain reaches the port, but its requests name its domain.
 * - **Origin**, sent by browsers, must be the server's own (`http://` or
 *   `https://` and the Host served) or an allowed one. No Origin is a
 *   non-browser client, which no page can drive.
 * - **Bodies** must be of a media type a form or a `no-cors` fetch cannot
 *   send, so a page elsewhere must ask first (a CORS preflight); preflights
 *   are answered with Access-Control-Allow-* only for allowed origins.
 * - **Token**: when one is set, requests carry it as `Authorization: Bearer`
 *   or as the password of Basic credentials (browsers prompt for those, so the
 *   status page works); compared in constant time on SHA-256 digests, which
 *   have equal lengths whatever was sent.
 * - **Limits**: a body is read under a per-request limit and, optionally, a
 *   budget of body bytes held across requests; server timeouts bound how long
 *   headers and bodies may take.
 *
 * It lives in core because both servers need it and the runtime may not
 * import the coordinator; it knows nothing of either.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerOptions, ServerResponse } from 'node:http';
import { ErrorCodes, SluiceError, isSluiceError, type ErrorCode } from './errors.ts';

export interface RequestPolicyOptions {
  /** The address the server binds, as given (`127.0.0.1`, `0.0.0.0`, `::`, a name). */
  host: string;
  /** Required of every request (but `tokenFree` ones) when set. */
  token?: string | undefined;
  /** More names the Host header may carry: `name` (any port) or `name:port`. */
  allowHosts?: readonly string[] | undefined;
  /** More origins (`scheme://host[:port]`) browsers may send requests from. */
  allowOrigins?: readonly string[] | undefined;
  /** The media types a request body may have, e.g. `application/json`. */
  bodyTypes: readonly string[];
  /** Serve off loopback without a token anyway. */
  insecureNoToken?: boolean | undefined;
  /** The server, as a refusal at start names it: "the coordinator's HTTP server". */
  name: string;
  /** How to fix a refusal at start: which setting gives a token, which one the escape. */
  remedy: string;
}

export interface ScreenOptions {
  /** Probes load balancers call without credentials (/health, /ready): no token asked. */
  tokenFree?: boolean;
}

interface HostEntry {
  name: string;
  port: string | undefined;
}

const hostPattern = /^(\[[0-9a-f:.]+\]|[a-z0-9_.-]+)(?::(\d{1,5}))?$/i;
const originPattern = /^https?:\/\/(\[[0-9a-f:.]+\]|[a-z0-9_.-]+)(:\d{1,5})?\/?$/i;

function hostEntry(text: string): HostEntry | undefined {
  const m = hostPattern.exec(text.trim());
  return m === null ? undefined : { name: m[1]!.toLowerCase(), port: m[2] };
}

/** `name`, `name:port`, `[v6]` or `[v6]:port`: what `--allow-host` and `allow-hosts` take. */
export function isHostEntry(text: string): boolean {
  return hostEntry(text) !== undefined;
}

/** `http(s)://host[:port]`: what `--allow-origin` and `allow-origins` take. */
export function isOrigin(text: string): boolean {
  return originPattern.test(text.trim());
}

function normalOrigin(text: string): string {
  return text.trim().toLowerCase().replace(/\/$/, '');
}

/** An address as a Host header writes it: IPv6 in brackets. */
function asHostName(address: string): string {
  const a = address.toLowerCase();
  return a.includes(':') && !a.startsWith('[') ? `[${a}]` : a;
}

export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || /^::ffff:127(\.\d{1,3}){3}$/.test(h);
}

/** True when a server would bind off loopback with no token and no explicit escape. */
export function exposedWithoutToken(o: { host: string; token?: string | undefined; insecureNoToken?: boolean | undefined }): boolean {
  return !isLoopback(o.host) && o.token === undefined && o.insecureNoToken !== true;
}

/** Refuses (SLUICE_ERR_INSECURE) to serve off loopback without a token, unless told to. */
export function assertGuarded(o: Pick<RequestPolicyOptions, 'host' | 'token' | 'insecureNoToken' | 'name' | 'remedy'>): void {
  if (!exposedWithoutToken(o)) return;
  throw new SluiceError(
    ErrorCodes.INSECURE_REFUSED,
    `${o.name} would listen on ${o.host}, which is not a loopback address, without a token: anyone who reaches it could use it; ${o.remedy}`,
  );
}

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/** The secret an Authorization header carries: a Bearer token, or the password of Basic credentials. */
function credentialOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const space = header.indexOf(' ');
  if (space < 0) return undefined;
  const scheme = header.slice(0, space).toLowerCase();
  const value = header.slice(space + 1).trim();
  if (scheme === 'bearer') return value;
  if (scheme !== 'basic') return undefined;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : decoded.slice(colon + 1);
}

function mediaType(header: string | undefined): string | undefined {
  const type = header?.split(';')[0]?.trim().toLowerCase();
  return type === '' ? undefined : type;
}

const STATUS: Partial<Record<ErrorCode, number>> = {
  [ErrorCodes.HTTP_HOST]: 403,
  [ErrorCodes.HTTP_ORIGIN]: 403,
  [ErrorCodes.HTTP_UNAUTHORIZED]: 401,
  [ErrorCodes.HTTP_CONTENT_TYPE]: 415,
  [ErrorCodes.HTTP_BODY_LIMIT]: 413,
  [ErrorCodes.HTTP_BODY_INCOMPLETE]: 400,
  [ErrorCodes.SHUTDOWN]: 503,
};

/** Basic is offered beside Bearer so a browser prompts for the token (as a password). */
const CHALLENGE = ['Bearer realm="sluice"', 'Basic realm="sluice", charset="UTF-8"'];

export function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string | string[]> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...headers });
  res.end(JSON.stringify(value, null, 2) + '\n');
}

/**
 * Answers a failed request with a JSON body `{ error, code }`: the policy's
 * refusals with their status (403, 401, 415, 413, 400, 503), anything else
 * with 500. Nothing is sent once an answer has started or the client is gone.
 */
export function sendError(res: ServerResponse, err: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const code = isSluiceError(err) ? err.code : undefined;
  const status = (code !== undefined ? STATUS[code] : undefined) ?? 500;
  const headers: Record<string, string | string[]> = { connection: 'close' };
  if (status === 401) headers['www-authenticate'] = CHALLENGE;
  if (status === 503) headers['retry-after'] = '1';
  sendJson(res, status, { error: err instanceof Error ? err.message : String(err), ...(code !== undefined ? { code } : {}) }, headers);
}

export class RequestPolicy {
  readonly #host: string;
  readonly #token: Buffer | undefined;
  readonly #allowHosts: HostEntry[];
  readonly #allowOrigins: Set<string>;
  readonly #bodyTypes: readonly string[];

  /** Throws SLUICE_ERR_INSECURE for an address off loopback without a token (unless `insecureNoToken`). */
  constructor(options: RequestPolicyOptions) {
    assertGuarded(options);
    this.#host = options.host;
    this.#token = options.token !== undefined ? digest(options.token) : undefined;
    this.#allowHosts = (options.allowHosts ?? []).map((text) => {
      const entry = hostEntry(text);
      if (entry === undefined) throw new SluiceError(ErrorCodes.CONFIG_INVALID, `\`${text}\` is not a host name (name, name:port or [v6]:port)`);
      return entry;
    });
    this.#allowOrigins = new Set(
      (options.allowOrigins ?? []).map((text) => {
        if (!isOrigin(text)) throw new SluiceError(ErrorCodes.CONFIG_INVALID, `\`${text}\` is not an origin (http://host[:port] or https://host[:port])`);
        return normalOrigin(text);
      }),
    );
    this.#bodyTypes = options.bodyTypes.map((t) => t.toLowerCase());
  }

  /** Off loopback without a token: allowed only by `insecureNoToken`; the server should say so loudly. */
  get unguarded(): boolean {
    return !isLoopback(this.#host) && this.#token === undefined;
  }

  /**
   * Applies the policy to a request before anything else reads it. Returns
   * true when it has answered: a refusal (JSON `{ error, code }`) or a CORS
   * preflight; false when the server should go on and serve it.
   */
  screen(req: IncomingMessage, res: ServerResponse, options: ScreenOptions = {}): boolean {
    const host = req.headers.host?.toLowerCase();
    if (host === undefined || !this.#hostServed(host, req)) {
      return this.#refuse(res, ErrorCodes.HTTP_HOST, `Host \`${host ?? ''}\` is not served here; serve more names with --allow-host (allow-hosts for an HTTP source)`);
    }
    const origin = req.headers.origin;
    const crossOrigin = origin !== undefined && !this.#sameOrigin(origin, host);
    if (crossOrigin && !this.#allowOrigins.has(normalOrigin(origin))) {
      return this.#refuse(res, ErrorCodes.HTTP_ORIGIN, `requests from origin \`${origin}\` are refused; allow it with --allow-origin (allow-origins for an HTTP source)`);
    }
    if (crossOrigin) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('vary', 'Origin');
    }
    if (req.method === 'OPTIONS') {
      // Browsers send no credentials with a preflight: it is answered before the token is asked for.
      const cors = crossOrigin
        ? { 'access-control-allow-methods': 'GET, HEAD, POST', 'access-control-allow-headers': 'authorization, content-type', 'access-control-max-age': '600' }
        : {};
      res.writeHead(204, { allow: 'GET, HEAD, POST, OPTIONS', ...cors }).end();
      return true;
    }
    if (options.tokenFree !== true && !this.#authorized(req.headers.authorization)) {
      return this.#refuse(
        res,
        ErrorCodes.HTTP_UNAUTHORIZED,
        req.headers.authorization === undefined ? 'a token is required: send `Authorization: Bearer <token>`' : 'the token sent is not the right one',
      );
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      const type = mediaType(req.headers['content-type']);
      if (type === undefined || !this.#bodyTypes.includes(type)) {
        return this.#refuse(res, ErrorCodes.HTTP_CONTENT_TYPE, `send the body as ${this.#bodyTypes.join(' or ')}, not ${type ?? 'without a content type'}`);
      }
    }
    return false;
  }

  #refuse(res: ServerResponse, code: ErrorCode, message: string): true {
    sendError(res, new SluiceError(code, message));
    return true;
  }

  #hostServed(host: string, req: IncomingMessage): boolean {
    const asked = hostEntry(host);
    if (asked === undefined) return false;
    if (this.#allowHosts.some((e) => e.name === asked.name && (e.port === undefined || e.port === asked.port))) return true;
    if (asked.port !== undefined && asked.port !== String(req.socket.localPort)) return false;
    const local = req.socket.localAddress ?? '';
    const own = ['localhost', '127.0.0.1', '[::1]', asHostName(this.#host), asHostName(local), asHostName(local.replace(/^::ffff:/i, ''))];
    return own.includes(asked.name);
  }

  #sameOrigin(origin: string, host: string): boolean {
    const o = normalOrigin(origin);
    return o === `http://${host}` || o === `https://${host}`;
  }

  #authorized(header: string | undefined): boolean {
    if (this.#token === undefined) return true;
    const given = credentialOf(header);
    return given !== undefined && timingSafeEqual(digest(given), this.#token);
  }
}

/** Node's server timeouts for a request timeout: headers within 10 s (or sooner), the whole request within `requestTimeoutMs`. */
export function serverTimeouts(requestTimeoutMs: number): Pick<ServerOptions, 'requestTimeout' | 'headersTimeout' | 'connectionsCheckingInterval'> {
  return {
    requestTimeout: requestTimeoutMs,
    headersTimeout: Math.min(10_000, requestTimeoutMs),
    // Node checks its timeouts on this interval (30 s by default), which would stretch short ones.
    connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(requestTimeoutMs / 4))),
  };
}

/** Part of a ByteBudget, held until released; shrinks to what a body turned out to need. */
export interface Reservation {
  readonly bytes: number;
  shrinkTo(bytes: number): void;
  release(): void;
}

/**
 * Bytes of request bodies held at once, across requests. A request reserves
 * what it may need before its body is read; requests that do not fit wait in
 * the order they came (a whole reservation at a time, so waiting requests
 * never hold part of the budget each and starve one another).
 */
export class ByteBudget {
  #used = 0;
  readonly #waiting: Array<{ bytes: number; grant: () => void }> = [];

  constructor(readonly capacity: number) {}

  get used(): number {
    return this.#used;
  }

  /** Resolves once `bytes` fit; rejects with SLUICE_ERR_HTTP_BODY_INCOMPLETE when `signal` aborts first. */
  take(bytes: number, signal: AbortSignal): Promise<Reservation> {
    if (bytes > this.capacity) {
      return Promise.reject(new SluiceError(ErrorCodes.HTTP_BODY_LIMIT, `a body of ${bytes} bytes is over the ${this.capacity} bytes that may be held at once`));
    }
    return new Promise((resolve, reject) => {
      const entry = {
        bytes,
        grant: () => {
          signal.removeEventListener('abort', withdraw);
          this.#used += bytes;
          resolve(this.#reservation(bytes));
        },
      };
      const withdraw = () => {
        const at = this.#waiting.indexOf(entry);
        if (at >= 0) this.#waiting.splice(at, 1);
        reject(new SluiceError(ErrorCodes.HTTP_BODY_INCOMPLETE, 'the client went away while its request waited for room'));
        this.#grant();
      };
      if (signal.aborted) return withdraw();
      signal.addEventListener('abort', withdraw, { once: true });
      this.#waiting.push(entry);
      this.#grant();
    });
  }

  #reservation(bytes: number): Reservation {
    let held = bytes;
    const give = (amount: number) => {
      held -= amount;
      this.#used -= amount;
      this.#grant();
    };
    return {
      get bytes() {
        return held;
      },
      shrinkTo: (to) => {
        if (to < held) give(held - to);
      },
      release: () => {
        if (held > 0) give(held);
      },
    };
  }

  #grant(): void {
    while (this.#waiting.length > 0 && this.#used + this.#waiting[0]!.bytes <= this.capacity) this.#waiting.shift()!.grant();
  }
}

export interface BodyLimits {
  /** Per request: a larger body gets 413 (before it is read, when it declares its length). */
  maxBytes: number;
  /** Shared across requests: a body waits for room before it is read. */
  budget?: ByteBudget;
}

export interface Body {
  /** The body decoded as UTF-8. */
  readonly text: string;
  readonly bytes: number;
  /** Gives the body's bytes back to the budget: call once the data they became is finished with. */
  release(): void;
}

function tooLarge(limit: number, size: number | undefined): SluiceError {
  return new SluiceError(ErrorCodes.HTTP_BODY_LIMIT, `the body is over ${limit} bytes${size !== undefined ? ` (${size})` : ''}`);
}

/** Every byte of the body, or a rejection when it is over `limit` or stops short. */
function collect(req: IncomingMessage, limit: number, declared: number | undefined): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onFail);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      cleanup();
      req.pause();
      reject(tooLarge(limit, undefined));
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onFail = (err?: unknown) => {
      cleanup();
      reject(
        new SluiceError(
          ErrorCodes.HTTP_BODY_INCOMPLETE,
          `the request body stopped after ${size}${declared !== undefined ? ` of ${declared}` : ''} bytes: the client aborted it or did not finish within the request timeout`,
          { cause: err },
        ),
      );
    };
    const onClose = () => {
      if (!req.complete) onFail();
    };
    if (req.destroyed) return onFail();
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onFail);
    req.once('close', onClose);
  });
}

/**
 * Reads a request's whole body under `limits`. Rejects with
 * SLUICE_ERR_HTTP_BODY_LIMIT or SLUICE_ERR_HTTP_BODY_INCOMPLETE (aborted,
 * timed out, or the client gone while waiting for room); nothing of a body
 * that failed is returned, and its reservation is given back.
 */
export async function readBody(req: IncomingMessage, res: ServerResponse, limits: BodyLimits): Promise<Body> {
  const header = req.headers['content-length'];
  const declared = header !== undefined ? Number(header) : undefined;
  if (declared !== undefined && declared > limits.maxBytes) throw tooLarge(limits.maxBytes, declared);
  const gone = new AbortController();
  const onGone = () => gone.abort();
  // The response closes before it is sent only when the connection does.
  res.once('close', onGone);
  let reservation: Reservation | undefined;
  try {
    reservation = await limits.budget?.take(declared ?? limits.maxBytes, gone.signal);
    const bytes = await collect(req, limits.maxBytes, declared);
    reservation?.shrinkTo(bytes.length);
    const held = reservation;
    return { text: bytes.toString('utf8'), bytes: bytes.length, release: () => held?.release() };
  } catch (err) {
    reservation?.release();
    throw err;
  } finally {
    res.off('close', onGone);
  }
}
