import type { CachedStore } from './cached-store.ts';
import { DecodedWrites } from './decoded-writes.ts';
import { decodeKvKey, kvKey, Namespace, namespaceRange } from './keys.ts';
import { v8Serde, type Serde } from './serde.ts';

/**
 * Values by string key in the kv namespace of a CachedStore. Values written since the last snapshot
 * are kept as objects (shared by every view of the namespace, which must agree on the serde): get()
 * returns the very object put, so neither may be changed afterwards, except by putting its replacement
 * at once.
 */
export class KeyValueStore<V> {
  readonly #store: CachedStore;
  readonly #serde: Serde<V>;
  readonly #writes: DecodedWrites<V>;
  #changed = new Set<string>();

  constructor(store: CachedStore, serde: Serde<V> = v8Serde<V>()) {
    this.#store = store;
    this.#serde = serde;
    this.#writes = store.writeCache(Namespace.kv, () => new DecodedWrites(store, serde, kvKey));
  }

  get(key: string): V | undefined {
    const written = this.#writes.get(key);
    if (written !== undefined) return written.value;
    const bytes = this.#store.get(kvKey(key));
    return bytes === undefined ? undefined : this.#serde.deserialize(bytes);
  }

  /** undefined deletes. */
  put(key: string, value: V | undefined): void {
    this.#writes.put(key, value);
    this.#changed.add(key);
  }

  /** Every entry, in key byte order. */
  *scan(): IterableIterator<[string, V]> {
    const [from, to] = namespaceRange(Namespace.kv);
    for (const [key, bytes] of this.#store.range(from, to)) yield [decodeKvKey(key), this.#serde.deserialize(bytes)];
  }

  /**
   * Keys put since the last call, in the order first written. A key whose write was discarded since
   * is listed too: get() then reads its committed value.
   */
  changed(): string[] {
    const keys = [...this.#changed];
    this.#changed = new Set();
    return keys;
  }
}
