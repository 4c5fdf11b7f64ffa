/**
 * A client of the Confluent Schema Registry REST API, the one Confluent's
 * registry, Apicurio (its ccompat API), Karapace and Redpanda speak. Only the
 * calls a serializer and a deploy check need. A registry that cannot be
 * reached, times out or answers 5xx is asked again with backoff; after that the
 * call fails with SCHEMA_REGISTRY_UNAVAILABLE, retriable, so a stage retries
 * the record and, failing, stops without dead-lettering it.
 */
import { ErrorCodes, SluiceError, type ErrorCode } from '../../core/index.ts';
import { withRetry, type RetryPolicy } from '../retry.ts';

export type RegistryAuth = { kind: 'basic'; username: string; password: string } | { kind: 'bearer'; token: string };

/** The topology's `auth:` (`username`+`password`, or `token`) as the client takes it. */
export function registryAuthOf(auth: { username: string; password: string } | { token: string }): RegistryAuth {
  return 'token' in auth ? { kind: 'bearer', token: auth.token } : { kind: 'basic', username: auth.username, password: auth.password };
}

export interface RegistryClientOptions {
  /** Base URL, e.g. `http://127.0.0.1:8081` or Apicurio's `http://host:8080/apis/ccompat/v7`. */
  url: string;
  auth?: RegistryAuth;
  /** Backoff of unreachable/5xx answers within one call. */
  retry?: RetryPolicy;
  timeoutMs?: number;
  /** For tests that count or break requests. */
  fetch?: typeof fetch;
}

export interface Compatibility {
  compatible: boolean;
  /** The registry's reasons, when it gives them (Confluent with `?verbose=true`, Apicurio always). */
  messages: string[];
}

const MEDIA_TYPE = 'application/vnd.schemaregistry.v1+json';
export const defaultRegistryRetry: RetryPolicy = { retries: 4, initialDelayMs: 100, maxDelayMs: 2_000, factor: 2 };

interface RegistryReply {
  status: number;
  body: Record<string, unknown>;
}

export class SchemaRegistryClient {
  readonly url: string;
  /** HTTP requests sent, retries included: the metric that shows ids are cached. */
  requests = 0;
  readonly #headers: Record<string, string>;
  readonly #retry: RetryPolicy;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  constructor(options: RegistryClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.#headers = { accept: `${MEDIA_TYPE}, application/json`, 'content-type': MEDIA_TYPE };
    if (options.auth?.kind === 'basic') {
      this.#headers.authorization = `Basic ${Buffer.from(`${options.auth.username}:${options.auth.password}`).toString('base64')}`;
    } else if (options.auth?.kind === 'bearer') {
      this.#headers.authorization = `Bearer ${options.auth.token}`;
    }
    this.#retry = options.retry ?? defaultRegistryRetry;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#fetch = options.fetch ?? fetch;
  }

  /** Registers `schema` (Avro JSON text) under `subject`, or finds it there; its global id. */
  async register(subject: string, schema: string): Promise<number> {
    const reply = await this.#call('POST', `/subjects/${encodeURIComponent(subject)}/versions`, { schema }, { subject });
    return idOf(reply, this.url);
  }

  /** The id of `schema` if it is registered under `subject`; SCHEMA_NOT_FOUND otherwise. */
  async lookup(subject: string, schema: string): Promise<number> {
    const reply = await this.#call('POST', `/subjects/${encodeURIComponent(subject)}`, { schema }, { subject });
    return idOf(reply, this.url);
  }

  /** The schema text with global id `id`. */
  async schemaById(id: number): Promise<string> {
    const reply = await this.#call('GET', `/schemas/ids/${id}`, undefined, { schemaId: id });
    const schema = reply.body.schema;
    if (typeof schema !== 'string') throw unexpected(this.url, `GET /schemas/ids/${id} answered without a schema`);
    return schema;
  }

  /** Would `schema` be accepted as the next version of `subject`? A subject with no versions accepts anything. */
  async checkCompatibility(subject: string, schema: string): Promise<Compatibility> {
    let reply: RegistryReply;
    try {
      reply = await this.#call('POST', `/compatibility/subjects/${encodeURIComponent(subject)}/versions/latest?verbose=true`, { schema }, { subject });
    } catch (err) {
      if (err instanceof SluiceError && err.code === ErrorCodes.SCHEMA_NOT_FOUND) return { compatible: true, messages: [] };
      throw err;
    }
    // Confluent answers `messages`, Apicurio's ccompat API a `reason`.
    const messages = Array.isArray(reply.body.messages) ? reply.body.messages.map(String) : typeof reply.body.reason === 'string' ? [reply.body.reason] : [];
    return { compatible: reply.body.is_compatible === true, messages };
  }

  async #call(method: string, path: string, body: unknown, context: Record<string, unknown>): Promise<RegistryReply> {
    const target = `${method} ${this.url}${path}`;
    return withRetry(() => this.#once(method, path, body, target, context), { policy: this.#retry });
  }

  async #once(method: string, path: string, body: unknown, target: string, context: Record<string, unknown>): Promise<RegistryReply> {
    this.requests++;
    let res: Response;
    let text: string;
    try {
      res = await this.#fetch(`${this.url}${path}`, {
        method,
        headers: this.#headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      text = await res.text();
    } catch (err) {
      throw unavailable(`schema registry unreachable (${target}): ${causeText(err)}`, err, context);
    }
    const parsed = parseBody(text);
    if (res.ok) return { status: res.status, body: parsed };
    const reason = typeof parsed.message === 'string' ? parsed.message : text.slice(0, 500);
    const registryCode = typeof parsed.error_code === 'number' ? parsed.error_code : undefined;
    const ctx = { ...context, status: res.status, ...(registryCode === undefined ? {} : { registryCode }) };
    if (res.status >= 500 || res.status === 408 || res.status === 429) {
      throw unavailable(`schema registry answered ${res.status} (${target}): ${reason}`, undefined, ctx);
    }
    throw new SluiceError(refusalCode(res.status), `schema registry refused ${target} (${res.status}): ${reason}`, { context: ctx });
  }
}

function refusalCode(status: number): ErrorCode {
  if (status === 409) return ErrorCodes.SCHEMA_INCOMPATIBLE;
  if (status === 404) return ErrorCodes.SCHEMA_NOT_FOUND;
  if (status === 422) return ErrorCodes.SCHEMA_INVALID;
  return ErrorCodes.SCHEMA_REGISTRY_REFUSED;
}

function idOf(reply: RegistryReply, url: string): number {
  const id = reply.body.id;
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > 0xffffffff) {
    throw unexpected(url, `expected a schema id, got ${JSON.stringify(reply.body).slice(0, 200)}`);
  }
  return id;
}

function parseBody(text: string): Record<string, unknown> {
  if (text === '') return {};
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function unavailable(message: string, cause: unknown, context: Record<string, unknown>): SluiceError {
  return new SluiceError(ErrorCodes.SCHEMA_REGISTRY_UNAVAILABLE, message, { cause, retriable: true, context });
}

function unexpected(url: string, message: string): SluiceError {
  return new SluiceError(ErrorCodes.SCHEMA_REGISTRY_REFUSED, `schema registry ${url}: ${message}`);
}

function causeText(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message;
}
