import type { CachedStore } from './cached-store.ts';
import { decodeKvKey, kvKey, Namespace, namespaceRange } from './keys.ts';
import { v8Serde, type Serde } from './serde.ts';

/** Values by string key in the kv namespace of a CachedStore. */
export class KeyValueStore<V> {
  readonly #store: CachedStore;
  readonly #serde: Serde<V>;
  #changed = new Set<string>();

  constructor(store: CachedStore, serde: Serde<V> = v8Serde<V>()) {
    this.#store = store;
    this.#serde = serde;
  }

  get(key: string): V | undefined {
    const bytes = this.#store.get(kvKey(key));
    return bytes === undefined ? undefined : this.#serde.deserialize(bytes);
  }

  /** undefined deletes. */
  put(key: string, value: V | undefined): void {
    this.#store.put(kvKey(key), value === undefined ? null : this.#serde.serialize(value));
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
