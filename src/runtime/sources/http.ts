/**
 * HTTP ingest: `POST <path>` with an ndjson body. Each non-blank line becomes
 * a record; the response is sent only once every record of the request is
 * finished with (acknowledged by the next topic, or dead-lettered), so a 200
 * means the data is safe. Requests wait while the stage is behind
 * (backpressure reaches the client).
 *
 * Every request passes the shared request policy first (Host, Origin, token,
 * `application/x-ndjson` or `application/json` bodies; src/core/http-policy.ts).
 * A request is all or nothing: its records enter the stage only once its whole
 * body has arrived, so a body the client aborts or does not finish within the
 * request timeout fails that request alone and injects nothing. Bodies over
 * `maxBodyBytes` get 413. Body bytes held at once, from the body's arrival
 * until its records are finished with, are bounded by `maxInFlightBytes`: a
 * request reserves its declared length (or `maxBodyBytes` when it declares
 * none) before its body is read, and waits in line while that does not fit.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { ByteBudget, ErrorCodes, RequestPolicy, SluiceError, readBody, sendError, sendJson, serverTimeouts, type Logger } from '../../core/index.ts';
import type { HttpInput } from '../../topology/index.ts';
import type { Envelope } from '../envelope.ts';
import type { Completion } from '../offsets.ts';

export type HttpSourceOptions = Omit<HttpInput, 'kind' | 'timestamp'> & { logger: Logger };

export const HTTP_SOURCE_DEFAULTS = {
  maxBodyBytes: 10 * 1024 * 1024,
  maxInFlightBytes: 32 * 1024 * 1024,
  requestTimeoutMs: 60_000,
} as const;

/** Settles one line of a request; the request answers when all its lines have. */
class LineToken implements Completion {
  #pending = 1;
  constructor(private readonly request: PendingRequest) {}
  fanOut(count: number): void {
    this.#pending += count - 1;
    if (this.#pending === 0) this.request.lineDone();
  }
  done(): void {
    if (this.#pending > 0 && --this.#pending === 0) this.request.lineDone();
  }
  get remaining(): number {
    return Math.max(0, this.#pending);
  }
}

class PendingRequest {
  remaining: number;
  constructor(
    private readonly res: ServerResponse,
    readonly lines: number,
    private readonly release: () => void,
  ) {
    this.remaining = lines;
  }
  lineDone(): void {
    if (--this.remaining === 0) this.answer();
  }
  /** Its records are finished with: their bytes leave the budget, and the client hears (if still there). */
  answer(): void {
    this.release();
    sendJson(this.res, 200, { accepted: this.lines });
  }
}

export class HttpSource extends Readable {
  readonly #options: HttpSourceOptions;
  readonly #policy: RequestPolicy;
  readonly #budget: ByteBudget;
  readonly #maxBodyBytes: number;
  readonly #server: Server;
  readonly #logger: Logger;
  #waiting: Array<() => void> = [];
  #listening: Promise<void>;
  /** Requests part-way through pushing their records: the stream ends only after them. */
  #pushing = 0;
  #stopping = false;

  /** Throws SLUICE_ERR_INSECURE for a host off loopback without a token (unless `insecureNoToken`). */
  constructor(options: HttpSourceOptions) {
    super({ objectMode: true, highWaterMark: 256 });
    this.#options = options;
    this.#logger = options.logger;
    const host = options.host ?? '127.0.0.1';
    this.#policy = new RequestPolicy({
      host,
      token: options.token,
      allowHosts: options.allowHosts,
      allowOrigins: options.allowOrigins,
      insecureNoToken: options.insecureNoToken,
      bodyTypes: ['application/x-ndjson', 'application/json'],
      name: `the HTTP source on ${options.path}`,
      remedy: 'give it `token: ${INGEST_TOKEN}`, or `insecure-no-token: true` to serve it open',
    });
    if (this.#policy.unguarded) this.#logger.warn({ host, port: options.port }, 'insecure-no-token: anyone who reaches this HTTP source can inject records');
    this.#maxBodyBytes = options.maxBodyBytes ?? HTTP_SOURCE_DEFAULTS.maxBodyBytes;
    this.#budget = new ByteBudget(Math.max(options.maxInFlightBytes ?? HTTP_SOURCE_DEFAULTS.maxInFlightBytes, this.#maxBodyBytes));
    this.#server = createServer(serverTimeouts(options.requestTimeoutMs ?? HTTP_SOURCE_DEFAULTS.requestTimeoutMs), (req, res) => {
      this.#handle(req, res).catch((err: unknown) => {
        this.#logger.error({ err }, 'http source: request failed');
        sendError(res, err);
      });
    });
    this.#listening = new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(options.port, host, () => resolve());
    });
  }

  /** Resolves once the server accepts connections; rejects when the port cannot be bound. */
  listening(): Promise<void> {
    return this.#listening;
  }

  get port(): number {
    const address = this.#server.address();
    return typeof address === 'object' && address !== null ? address.port : this.#options.port;
  }

  override _read(): void {
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const resume of waiting) resume();
  }

  /**
   * Stop accepting requests. Requests already pushing their records finish
   * (the stream ends after them); any other gets 503 and injects nothing.
   */
  stop(): void {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#server.close();
    this.#server.closeIdleConnections();
    if (this.#pushing === 0) this.push(null);
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.#server.close();
    this.#server.closeAllConnections();
    callback(err);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.#policy.screen(req, res)) return;
    if (req.method !== 'POST' || req.url?.split('?')[0] !== this.#options.path) {
      sendJson(res, req.method === 'POST' ? 404 : 405, { error: `POST ndjson to ${this.#options.path}` });
      return;
    }
    let body;
    try {
      body = await readBody(req, res, { maxBytes: this.#maxBodyBytes, budget: this.#budget });
    } catch (err) {
      const { code, message } = err as SluiceError;
      this.#logger.warn({ code, reason: message, remote: req.socket.remoteAddress }, 'http source: request failed, none of its records taken');
      sendError(res, err);
      return;
    }
    if (this.#stopping) {
      body.release();
      sendError(res, new SluiceError(ErrorCodes.SHUTDOWN, 'the HTTP source is stopping; none of the records were taken: send them again'));
      return;
    }
    const lines = body.text.split('\n').filter((l) => l.trim() !== '');
    const pending = new PendingRequest(res, lines.length, body.release);
    if (lines.length === 0) return pending.answer();
    this.#pushing++;
    try {
      await this.#push(lines, pending);
    } finally {
      if (--this.#pushing === 0 && this.#stopping) this.push(null);
    }
  }

  async #push(lines: string[], pending: PendingRequest): Promise<void> {
    const now = Date.now();
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      const envelope: Envelope = {
        record: { key: null, value: line, headers: {}, timestamp: now },
        token: new LineToken(pending),
        origin: { file: `http ${this.#options.path}`, line: i + 1, rawKey: null, rawValue: line, rawHeaders: {}, timestamp: now },
      };
      if (!this.push(envelope)) await new Promise<void>((resume) => this.#waiting.push(resume));
    }
  }
}
