import { checkKey, laterCheckpoint, type ChangelogEntry, type StoreBackend } from './backend.ts';
import type { Namespace } from './keys.ts';
import { mergeLayers } from './merge.ts';
import { newTree, treeRange, type Tree } from './tree.ts';

/** Writes not yet in the backend; null is a delete. */
type Layer = Tree<Buffer | null>;

/**
 * Restored batches are gathered up to this much before one backend write: LMDB copies every page a
 * transaction touches, so changelog keys (in no key order) cost about 4x less in 100,000-entry
 * transactions than in the runtime's 10,000-entry batches.
 */
const RESTORE_FLUSH_ENTRIES = 100_000;
const RESTORE_FLUSH_BYTES = 64 * 1024 * 1024;

/**
 * Writes the typed views of a namespace keep decoded above the store (decoded-writes.ts), so a key
 * written many times between snapshots is serialized once. The store flushes them in wherever it hands
 * out bytes of many keys (snapshot, range) and drops them with its own uncommitted writes; get() does
 * not see them, so a namespace with a write cache is read through its views.
 */
export interface WriteCache {
  /** Puts the writes the store does not hold yet into it. */
  flush(): void;
  /** Forgets every write: the store took them in a snapshot, or dropped them. */
  clear(): void;
}

/**
 * One store of one task: a backend under layers of writes not yet in it. Reads see, newest first,
 * uncommitted writes (dirty), snapshotted ones whose changelog write is pending (in flight), those
 * being written to the backend, restored ones still gathered, then the backend.
 */
export class CachedStore {
  readonly #backend: StoreBackend;
  #dirty: Layer = newTree();
  #inFlight: Layer = newTree();
  #restored: Layer = newTree();
  #restoredBytes = 0;
  /** Handed to the backend, write not finished: newest first. */
  #writing: Layer[] = [];
  /** Backend writes run one after another, in the order they were asked for. */
  #writes: Promise<void> = Promise.resolve();
  #checkpoint: number | undefined;
  /** A failed backend write: later writes would record a checkpoint past entries that never landed. */
  #failure: { error: unknown } | undefined;
  readonly #caches = new Map<Namespace, WriteCache>();

  constructor(backend: StoreBackend) {
    this.#backend = backend;
    this.#checkpoint = backend.checkpoint;
  }

  /** The next changelog offset to restore from for what this store's reads show. */
  get checkpoint(): number | undefined {
    return this.#checkpoint;
  }

  /** Keys put since the last snapshot (a write cache's, once flushed). */
  get dirty(): number {
    return this.#dirty.size;
  }

  get(key: Buffer): Buffer | undefined {
    for (const layer of this.#layers()) {
      const value = layer.get(key);
      if (value !== undefined) return value ?? undefined;
    }
    return this.#backend.get(key);
  }

  /**
   * The write cache of a namespace, made by `make` on first use and shared by every view of the
   * namespace from then on, so each sees the others' writes. Flushed before every snapshot and range,
   * cleared with every snapshot and discard.
   */
  writeCache<C extends WriteCache>(namespace: Namespace, make: () => C): C {
    let cache = this.#caches.get(namespace);
    if (cache === undefined) this.#caches.set(namespace, (cache = make()));
    // Only the namespace's own view module makes its cache, always of one class.
    return cache as C;
  }

  /** null deletes. The store keeps `key` and `value`: do not mutate them afterwards. */
  put(key: Buffer, value: Buffer | null): void {
    checkKey(key);
    this.#dirty.set(key, value);
  }

  /** Entries with from <= key < to, ascending, deletes hidden; writes during the walk do not show in it. */
  range(from: Buffer, to: Buffer): IterableIterator<[Buffer, Buffer]> {
    this.#flushCaches();
    return mergeLayers(
      this.#layers().map((layer) => treeRange(layer, from, to)),
      this.#backend.range(from, to),
    );
  }

  /** Dirty entries since the last snapshot, moved to "in flight" (latest value per key, sorted by key). */
  snapshot(): ChangelogEntry[] {
    // First, so a value that cannot be serialized fails the snapshot before any layer moves.
    this.#flushCaches();
    const entries = toEntries(this.#dirty);
    if (this.#inFlight.size === 0) this.#inFlight = this.#dirty;
    else for (const { key, value } of entries) this.#inFlight.set(key, value);
    this.#dirty = newTree();
    this.#clearCaches();
    return entries;
  }

  /**
   * The in-flight snapshot(s) were written to the changelog; the next changelog offset is `checkpoint`:
   * apply them to the backend with that checkpoint (with any restored entries still gathered).
   */
  async applied(checkpoint: number): Promise<void> {
    const layers = [this.#inFlight, this.#restored];
    this.#inFlight = newTree();
    this.#takeRestored();
    await this.#write(layers, checkpoint);
  }

  /** Exactly-once abort, a task given up: drop dirty and in-flight changes, cached ones too; reads see the backend again. */
  discard(): void {
    this.#dirty = newTree();
    this.#inFlight = newTree();
    this.#clearCaches();
  }

  /**
   * Restore: apply a batch read from the changelog (latest wins, tombstones delete) with its checkpoint.
   * Batches are gathered (reads see them at once) and written to the backend in larger transactions;
   * `flush()` writes what is gathered. A crash before that only means restoring those batches again.
   */
  async restore(entries: readonly ChangelogEntry[], checkpoint: number): Promise<void> {
    this.#throwIfFailed();
    for (const { key, value } of entries) {
      checkKey(key);
      this.#restored.set(key, value);
      this.#restoredBytes += key.length + (value?.length ?? 0);
    }
    this.#checkpoint = laterCheckpoint(this.#checkpoint, checkpoint);
    if (this.#restored.size >= RESTORE_FLUSH_ENTRIES || this.#restoredBytes >= RESTORE_FLUSH_BYTES) await this.flush();
  }

  /** Writes gathered restored entries to the backend and waits for every backend write asked for. */
  async flush(): Promise<void> {
    if (this.#restored.size > 0 && this.#checkpoint !== undefined) {
      await this.#write([this.#takeRestored()], this.#checkpoint);
    }
    await this.#writes;
    this.#throwIfFailed();
  }

  /** Forget everything, here and in the backend (a restore from the changelog's start follows). */
  async wipe(): Promise<void> {
    await this.#writes;
    this.discard();
    this.#takeRestored();
    this.#writing = [];
    this.#checkpoint = undefined;
    await this.#backend.wipe();
    this.#failure = undefined;
  }

  /** Writes gathered restored entries, then closes the backend. Uncommitted writes are dropped. */
  async close(): Promise<void> {
    try {
      if (this.#failure === undefined) await this.flush();
    } finally {
      await this.#backend.close();
    }
  }

  #flushCaches(): void {
    for (const cache of this.#caches.values()) cache.flush();
  }

  #clearCaches(): void {
    for (const cache of this.#caches.values()) cache.clear();
  }

  #layers(): Layer[] {
    return [this.#dirty, this.#inFlight, ...this.#writing, this.#restored];
  }

  #takeRestored(): Layer {
    const layer = this.#restored;
    this.#restored = newTree();
    this.#restoredBytes = 0;
    return layer;
  }

  /** `layers` newest first; the backend gets them oldest first, so the newest value of a key lands last. */
  #write(layers: Layer[], checkpoint: number): Promise<void> {
    this.#throwIfFailed();
    const pending = layers.filter((layer) => layer.size > 0);
    const entries = pending.toReversed().flatMap(toEntries);
    this.#writing.unshift(...pending);
    this.#checkpoint = laterCheckpoint(this.#checkpoint, checkpoint);
    const write = this.#writes.then(async () => {
      this.#throwIfFailed();
      await this.#backend.apply(entries, checkpoint);
      this.#writing = this.#writing.filter((layer) => !pending.includes(layer));
    });
    this.#writes = write.catch((error: unknown) => {
      this.#failure ??= { error };
    });
    return write;
  }

  #throwIfFailed(): void {
    if (this.#failure !== undefined) throw this.#failure.error;
  }
}

function toEntries(layer: Layer): ChangelogEntry[] {
  const entries: ChangelogEntry[] = [];
  layer.forEachPair((key, value) => {
    entries.push({ key, value });
  });
  return entries;
}
