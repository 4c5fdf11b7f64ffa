/**
 * The sockets kafkajs talks through (and, through `BrokerGuard.guard`, those
 * of @platformatic/kafka, which trusts the size as much). Every Kafka response starts with its
 * size as a 4-byte signed integer; kafkajs trusts it, and a listener that is
 * not a Kafka broker (another service, a TLS port spoken to in plaintext)
 * sends sizes that make its parser throw inside the socket's data event,
 * where nothing can catch it: the process dies with a TypeError. Here each
 * response's size is checked before kafkajs sees the bytes; an impossible
 * one ends the connection with SLUICE_ERR_BROKER_PROTOCOL naming the
 * address, which kafkajs passes on as the connection's error (its `code`).
 */
import net from 'node:net';
import tls from 'node:tls';
import type { ISocketFactory } from 'kafkajs';
import { ErrorCodes } from '../../core/index.ts';

/** Far above any response a client asks for (fetches are capped at a few MiB), far below what garbage claims. */
export const MAX_RESPONSE_BYTES = 256 * 1024 * 1024;

/** kafkajs' own default: keep idle connections to brokers alive. */
const KEEP_ALIVE_MS = 60_000;

/** Error raised on the socket; kafkajs copies `code` onto the KafkaJSConnectionError it makes of it. */
export class NotKafkaError extends Error {
  readonly code = ErrorCodes.BROKER_PROTOCOL;

  /** `answer` is what it sent, as in "it answered with `answer`, which no broker sends". */
  constructor(address: string, answer: string) {
    super(
      `${address} does not speak the Kafka protocol: it answered with ${answer}, which no broker sends ` +
        `(is it a Kafka listener, with TLS on or off as that listener expects?)`,
    );
    this.name = 'NotKafkaError';
  }
}

/** Follows the response framing across chunks and reports the first size prefix out of range. */
export class ResponseFraming {
  readonly #header = Buffer.alloc(4);
  #headerBytes = 0;
  #bodyLeft = 0;

  /** The first impossible response size in `chunk`, or undefined when every size so far is plausible. */
  check(chunk: Buffer): number | undefined {
    let i = 0;
    while (i < chunk.length) {
      if (this.#bodyLeft > 0) {
        const n = Math.min(this.#bodyLeft, chunk.length - i);
        this.#bodyLeft -= n;
        i += n;
        continue;
      }
      this.#header[this.#headerBytes++] = chunk[i++]!;
      if (this.#headerBytes < 4) continue;
      this.#headerBytes = 0;
      const size = this.#header.readInt32BE(0);
      if (size < 0 || size > MAX_RESPONSE_BYTES) return size;
      this.#bodyLeft = size;
    }
    return undefined;
  }
}

/** Data reaches the client only once its framing is checked; anything the client throws on it ends the connection instead of the process. */
function guard<S extends net.Socket>(socket: S, address: string, refused: (err: NotKafkaError) => void): S {
  const framing = new ResponseFraming();
  const emit = socket.emit.bind(socket) as (event: string | symbol, ...args: unknown[]) => boolean;
  socket.emit = ((event: string | symbol, ...args: unknown[]): boolean => {
    if (event !== 'data') return emit(event, ...args);
    const size = framing.check(args[0] as Buffer);
    if (size !== undefined) {
      const err = new NotKafkaError(address, `a ${size}-byte response size`);
      refused(err);
      socket.destroy(err);
      return false;
    }
    try {
      return emit(event, ...args);
    } catch (err) {
      socket.destroy(err instanceof Error ? err : new Error(String(err)));
      return false;
    }
  }) as S['emit'];
  return socket;
}

/**
 * One client's sockets, and what its seed brokers turned out to be. kafkajs
 * retries a failed seed connection for several seconds whatever the error;
 * once every seed has answered with what no broker sends, trying again
 * cannot help, and `onEverySeedRefused` says so at once.
 */
export class BrokerGuard {
  readonly #seeds: ReadonlySet<string>;
  readonly #refused = new Map<string, NotKafkaError>();
  readonly #listeners = new Set<(err: NotKafkaError) => void>();

  constructor(seeds: readonly string[]) {
    this.#seeds = new Set(seeds.map((s) => s.trim()));
  }

  readonly socketFactory: ISocketFactory = ({ host, port, ssl, onConnect }) => {
    const socket = ssl
      ? tls.connect({ host, port, ...(!net.isIP(host) ? { servername: host } : {}), ...ssl }, onConnect)
      : net.connect({ host, port }, onConnect);
    socket.setKeepAlive(true, KEEP_ALIVE_MS);
    return this.guard(socket, `${host}:${port}`);
  };

  /** Checks what `socket`, connected to `address`, receives, before anything reads it. */
  guard<S extends net.Socket>(socket: S, address: string): S {
    return guard(socket, address, (err) => this.refuse(address, err));
  }

  /** Why `address` was refused, if it was. */
  refusal(address: string): NotKafkaError | undefined {
    return this.#refused.get(address);
  }

  /** The first seed's refusal, once every seed has refused; undefined while any may still be a broker. */
  get everySeedRefused(): NotKafkaError | undefined {
    for (const seed of this.#seeds) if (!this.#refused.has(seed)) return undefined;
    return this.#refused.get([...this.#seeds][0]!);
  }

  /** Calls `listener` when the last seed refuses (at once if all have); returns how to stop listening. */
  onEverySeedRefused(listener: (err: NotKafkaError) => void): () => void {
    const now = this.everySeedRefused;
    if (now !== undefined) {
      listener(now);
      return () => undefined;
    }
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Records that `address` is no Kafka listener; `guard` calls it, and so may a client that finds out otherwise. */
  refuse(address: string, err: NotKafkaError): void {
    if (!this.#refused.has(address)) this.#refused.set(address, err);
    const all = this.everySeedRefused;
    if (all === undefined) return;
    for (const listener of [...this.#listeners]) listener(all);
    this.#listeners.clear();
  }
}
