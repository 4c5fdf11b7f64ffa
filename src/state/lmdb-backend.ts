import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
import type { Logger } from '../core/index.ts';
import { checkKey, laterCheckpoint, type ChangelogEntry, type StoreBackend } from './backend.ts';
import { LOCK_FILE, lockStoreDir, type StoreLock } from './lock.ts';

/** Bumped whenever what a store directory holds changes meaning; an older directory is wiped and restored. */
export const STORE_FORMAT_VERSION = 1;

const FORMAT = 'format';
const CHECKPOINT = 'checkpoint';

interface Env {
  root: RootDatabase;
  /** The store's entries, raw bytes both ways: LMDB compares keys with memcmp, as Buffer.compare does. */
  data: Database<Buffer, Buffer>;
  /** Format version and checkpoint, beside the data in the same environment so one transaction writes both. */
  meta: Database<number, string>;
}

function openEnv(dir: string): Env {
  // Always a directory: lmdb takes a path with an extension (a store named after a topic, `a.b`) for a file.
  const root = open({ path: dir, maxDbs: 2, noSubdir: false });
  return {
    root,
    data: root.openDB<Buffer, Buffer>('data', { encoding: 'binary', keyEncoding: 'binary' }),
    meta: root.openDB<number, string>('meta', {}),
  };
}

function hasAny(db: Database<unknown, Buffer> | Database<unknown, string>): boolean {
  for (const _ of db.getKeys({ limit: 1 })) return true;
  return false;
}

/** One LMDB environment per store directory, held exclusively by this process (see lock.ts). */
export async function openLmdbBackend(dir: string, logger: Logger): Promise<StoreBackend> {
  mkdirSync(dir, { recursive: true });
  const lock = lockStoreDir(dir);
  try {
    let env = openEnv(dir);
    const found = env.meta.get(FORMAT);
    if (found !== STORE_FORMAT_VERSION && (hasAny(env.meta) || hasAny(env.data))) {
      logger.warn(
        { path: dir, found: found ?? null, expected: STORE_FORMAT_VERSION },
        'state store written in another format: wiping it, a restore from the changelog follows',
      );
      await env.root.close();
      for (const name of readdirSync(dir)) if (name !== LOCK_FILE) rmSync(join(dir, name), { recursive: true });
      env = openEnv(dir);
    }
    // Data without a checkpoint is a wipe that a crash cut short (wipe() drops the checkpoint first).
    if (env.meta.get(CHECKPOINT) === undefined && hasAny(env.data)) await env.data.clearAsync();
    if (found !== STORE_FORMAT_VERSION) await env.meta.put(FORMAT, STORE_FORMAT_VERSION);
    return new LmdbBackend(env, lock);
  } catch (err) {
    lock.release();
    throw err;
  }
}

class LmdbBackend implements StoreBackend {
  readonly #env: Env;
  readonly #lock: StoreLock;
  #checkpoint: number | undefined;
  #closed = false;

  constructor(env: Env, lock: StoreLock) {
    this.#env = env;
    this.#lock = lock;
    this.#checkpoint = env.meta.get(CHECKPOINT);
  }

  get checkpoint(): number | undefined {
    return this.#checkpoint;
  }

  get(key: Buffer): Buffer | undefined {
    return this.#env.data.get(key);
  }

  *range(from: Buffer, to: Buffer): IterableIterator<[Buffer, Buffer]> {
    // getRange reads in one read transaction: a commit during the walk does not show in it.
    for (const { key, value } of this.#env.data.getRange({ start: from, end: to })) yield [key, value];
  }

  async apply(entries: readonly ChangelogEntry[], checkpoint: number): Promise<void> {
    for (const { key } of entries) checkKey(key);
    const next = laterCheckpoint(this.#checkpoint, checkpoint);
    const { root, data, meta } = this.#env;
    // One batch is one LMDB write transaction, committed off the main thread: the entries and the
    // checkpoint land together or not at all. (lmdb's async transaction() never resolves on Node 20
    // here; batch() gives the same atomicity.)
    await root.batch(() => {
      for (const { key, value } of entries) {
        if (value === null) void data.remove(key);
        else void data.put(key, value);
      }
      void meta.put(CHECKPOINT, next);
    });
    this.#checkpoint = next;
  }

  async wipe(): Promise<void> {
    this.#checkpoint = undefined;
    await this.#env.meta.remove(CHECKPOINT);
    await this.#env.data.clearAsync();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.#env.root.close();
    } finally {
      this.#lock.release();
    }
  }
}
