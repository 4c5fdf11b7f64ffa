/**
 * HTTP ingest: `POST <path>` with an ndjson body. Each non-blank line becomes
 * a record; the response is sent only once every record of the request is
 * finished with (acknowledged by the next topic, or dead-lettered), so a 200
 * means the data is safe. A body over `maxBodyBytes` is refused with 413.
 * Requests wait while the stage is behind (backpressure reaches the client).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { Envelope } from '../envelope.ts';
import type { Completion } from '../offsets.ts';

export interface HttpSourceOptions {
  port: number;
  path: string;
  host?: string;
  maxBodyBytes?: number;
}

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
  remaining = 0;
  constructor(
    private readonly res: ServerResponse,
    readonly lines: number,
  ) {
    this.remaining = lines;
  }
  lineDone(): void {
    if (--this.remaining === 0) this.answer();
  }
  answer(): void {
    this.res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ accepted: this.lines }) + '\n');
  }
}

export class HttpSource extends Readable {
  readonly #options: HttpSourceOptions;
  readonly #server: Server;
  #waiting: Array<() => void> = [];
  #listening: Promise<void>;

  constructor(options: HttpSourceOptions) {
    super({ objectMode: true, highWaterMark: 256 });
    this.#options = options;
    this.#server = createServer((req, res) => void this.#handle(req, res));
    this.#listening = new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
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

  /** Stop accepting requests; the stream ends once requests in progress have been read. */
  stop(): void {
    this.#server.close();
    this.#server.closeIdleConnections?.();
    this.push(null);
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.#server.close();
    this.#server.closeAllConnections?.();
    callback(err);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST' || req.url?.split('?')[0] !== this.#options.path) {
      res.writeHead(req.method === 'POST' ? 404 : 405, { 'content-type': 'text/plain' }).end(`POST ndjson to ${this.#options.path}\n`);
      return;
    }
    const limit = this.#options.maxBodyBytes ?? 10 * 1024 * 1024;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) {
        res.writeHead(413, { 'content-type': 'text/plain', connection: 'close' }).end(`body over ${limit} bytes\n`);
        req.destroy();
        return;
      }
      chunks.push(chunk);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    const pending = new PendingRequest(res, lines.length);
    if (lines.length === 0) return pending.answer();
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
