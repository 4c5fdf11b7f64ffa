import { readFile } from 'node:fs/promises';
import { ErrorCodes, SluiceError, type ErrorContext } from '../core/index.ts';

/**
 * AES-256 keys by id. The first key is the active one (new messages are
 * encrypted with it); every key decrypts, so a key is rotated by putting a new
 * one first and keeping the old ones until their messages are gone.
 *
 * Keys come from an environment variable or a key file, never from a topology
 * file (topologies live in git). Both use one format: `id:base64key` entries
 * separated by commas or newlines; in a file `#` starts a comment. Each key is
 * exactly 32 random bytes, e.g. `openssl rand -base64 32`.
 */

export const DEFAULT_KEYS_ENV = 'SLUICE_KEYS';
const KEY_BYTES = 32;
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export class KeyRing {
  readonly activeId: string;
  private readonly keys: ReadonlyMap<string, Buffer>;

  /** `entries` in order of preference: the first encrypts. */
  constructor(entries: Iterable<readonly [id: string, key: Buffer]>) {
    const keys = new Map<string, Buffer>();
    for (const [id, key] of entries) {
      checkKey(id, key, '', {});
      if (keys.has(id)) throw keyError(`key id "${id}" appears twice`, {});
      keys.set(id, Buffer.from(key));
    }
    const first = keys.keys().next();
    if (first.done === true) throw keyError('no keys given', {});
    this.activeId = first.value;
    this.keys = keys;
  }

  /** Parses `id:base64key` entries; `source` names where they came from in errors (never the key itself). */
  static parse(text: string, source: string): KeyRing {
    const entries: [string, Buffer][] = [];
    for (const [lineIndex, rawLine] of text.split('\n').entries()) {
      const line = rawLine.replace(/#.*$/, '');
      for (const rawEntry of line.split(',')) {
        const entry = rawEntry.trim();
        if (entry === '') continue;
        const context: ErrorContext = { file: source, line: lineIndex + 1 };
        const colon = entry.indexOf(':');
        if (colon <= 0) throw keyError(`${source}: key entries are "id:base64key"`, context);
        const id = entry.slice(0, colon);
        const encoded = entry.slice(colon + 1);
        if (!BASE64.test(encoded) || encoded.length % 4 !== 0) {
          throw keyError(`${source}: key "${id}" is not base64`, context);
        }
        const key = Buffer.from(encoded, 'base64');
        checkKey(id, key, `${source}: `, context);
        entries.push([id, key]);
      }
    }
    try {
      return new KeyRing(entries);
    } catch (err) {
      throw new SluiceError(ErrorCodes.KEY_INVALID, `${source}: ${(err as Error).message}`, { context: { codec: 'aes-gcm', file: source } });
    }
  }

  static fromEnv(name = DEFAULT_KEYS_ENV, env: NodeJS.ProcessEnv = process.env): KeyRing {
    const value = env[name];
    if (value === undefined || value.trim() === '') {
      throw keyError(`environment variable ${name} is not set (expected "id:base64key,...")`, {});
    }
    return KeyRing.parse(value, `$${name}`);
  }

  static async fromFile(path: string): Promise<KeyRing> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      throw new SluiceError(ErrorCodes.KEY_INVALID, `key file ${path}: ${(err as Error).message}`, {
        cause: err,
        context: { file: path },
      });
    }
    return KeyRing.parse(text, path);
  }

  get(id: string): Buffer | undefined {
    return this.keys.get(id);
  }

  get activeKey(): Buffer {
    return this.keys.get(this.activeId) as Buffer;
  }

  ids(): string[] {
    return [...this.keys.keys()];
  }
}

function checkKey(id: string, key: Buffer, prefix: string, context: ErrorContext): void {
  if (!KEY_ID.test(id)) throw keyError(`${prefix}key id "${id}" must be 1-64 of A-Z a-z 0-9 . _ -`, context);
  if (key.length !== KEY_BYTES) throw keyError(`${prefix}key "${id}" is ${key.length} bytes, AES-256 needs ${KEY_BYTES}`, context);
}

function keyError(message: string, context: ErrorContext): SluiceError {
  return new SluiceError(ErrorCodes.KEY_INVALID, message, { context: { codec: 'aes-gcm', ...context } });
}
