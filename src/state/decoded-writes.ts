import { ErrorCodes, SluiceError } from '../core/index.ts';
import { checkKey } from './backend.ts';
import type { CachedStore, WriteCache } from './cached-store.ts';
import type { Serde } from './serde.ts';

interface Entry<V> {
  /** The key as stored: made and checked at the first write, so a bad key fails its write, not the snapshot. */
  readonly stored: Buffer;
  value: V | undefined;
  /** The store holds this value's bytes already (a range flushed it) and it was not written since. */
  flushed: boolean;
}

/**
 * What a typed view wrote since its store's last snapshot, decoded, by the view's own key: a key read
 * and written back per record (an aggregate) costs a Map lookup, and is serialized once, when the
 * store needs its bytes (a snapshot or a range), instead of a deserialize and a serialize per record.
 * Bounded as the store's dirty layer is: by the keys written between two snapshots.
 */
export class DecodedWrites<V> implements WriteCache {
  readonly #entries = new Map<string, Entry<V>>();
  readonly #store: CachedStore;
  readonly #serde: Serde<V>;
  readonly #storedKey: (key: string) => Buffer;

  constructor(store: CachedStore, serde: Serde<V>, storedKey: (key: string) => Buffer) {
    this.#store = store;
    this.#serde = serde;
    this.#storedKey = storedKey;
  }

  /** The last write of `key` since the snapshot (its value undefined: a delete), or undefined if none. */
  get(key: string): { readonly value: V | undefined } | undefined {
    return this.#entries.get(key);
  }

  /** undefined deletes. The value is kept, not copied: see the views for what callers may not do with it. */
  put(key: string, value: V | undefined): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) {
      const stored = this.#storedKey(key);
      checkKey(stored);
      this.#entries.set(key, { stored, value, flushed: false });
      return;
    }
    entry.value = value;
    entry.flushed = false;
  }

  flush(): void {
    for (const [key, entry] of this.#entries) {
      if (entry.flushed) continue;
      this.#store.put(entry.stored, entry.value === undefined ? null : this.#serialize(key, entry.value));
      entry.flushed = true;
    }
  }

  clear(): void {
    this.#entries.clear();
  }

  /** A value that cannot be serialized fails the snapshot now, no longer the write: it names the key. */
  #serialize(key: string, value: V): Buffer {
    try {
      return this.#serde.serialize(value);
    } catch (err) {
      throw new SluiceError(ErrorCodes.STATE_VALUE_INVALID, `the state store value of key ${JSON.stringify(key)} cannot be serialized: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
        context: { key },
      });
    }
  }
}
