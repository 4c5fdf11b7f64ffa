import type { CachedStore, WriteCache } from './cached-store.ts';
import { DecodedWrites } from './decoded-writes.ts';
import { decodeWindowKey, Namespace, namespaceRange, windowKey, windowKeyBytes, windowStartPrefix } from './keys.ts';
import { v8Serde, type Serde } from './serde.ts';

export interface WindowEntry<V> {
  key: string;
  /** Inclusive, ms. */
  start: number;
  /** Exclusive, ms: start + size. */
  end: number;
  value: V;
}

export interface WindowStoreOptions<V> {
  /** Window length in ms (Infinity for a global window); every window's end is its start plus this. */
  size: number;
  serde?: Serde<V>;
}

/** The decoded window writes of a store, by start, then key: a lookup builds no key. */
class WindowWrites<V> implements WriteCache {
  readonly #byStart = new Map<number, DecodedWrites<V>>();
  readonly #store: CachedStore;
  readonly #serde: Serde<V>;

  constructor(store: CachedStore, serde: Serde<V>) {
    this.#store = store;
    this.#serde = serde;
  }

  get(key: string, start: number): { readonly value: V | undefined } | undefined {
    return this.#byStart.get(start)?.get(key);
  }

  put(key: string, start: number, value: V | undefined): void {
    let writes = this.#byStart.get(start);
    if (writes === undefined) this.#byStart.set(start, (writes = new DecodedWrites(this.#store, this.#serde, (k) => windowKey(k, start))));
    writes.put(key, value);
  }

  flush(): void {
    for (const writes of this.#byStart.values()) writes.flush();
  }

  clear(): void {
    this.#byStart.clear();
  }
}

/**
 * Windows keyed by (key, start) in the window namespace of a CachedStore, stored start first. As in
 * KeyValueStore, windows written since the last snapshot are kept as objects: neither a value put nor
 * one got back may be changed afterwards, except by putting its replacement at once.
 */
export class WindowStore<V> {
  readonly #store: CachedStore;
  readonly #size: number;
  readonly #serde: Serde<V>;
  readonly #writes: WindowWrites<V>;

  constructor(store: CachedStore, options: WindowStoreOptions<V>) {
    if (!(options.size > 0)) throw new RangeError(`a window size must be positive, got ${options.size}`);
    this.#store = store;
    this.#size = options.size;
    this.#serde = options.serde ?? v8Serde<V>();
    this.#writes = store.writeCache(Namespace.window, () => new WindowWrites(store, this.#serde));
  }

  get(key: string, start: number): V | undefined {
    const written = this.#writes.get(key, start);
    if (written !== undefined) return written.value;
    const bytes = this.#store.get(windowKey(key, start));
    return bytes === undefined ? undefined : this.#serde.deserialize(bytes);
  }

  /** undefined deletes (a closed window past retention). */
  put(key: string, start: number, value: V | undefined): void {
    this.#writes.put(key, start, value);
  }

  /**
   * Windows with start < upTo, oldest first, without reading any later one. Deleting the windows
   * returned while walking is fine: the walk reads the store as it was when it began. upTo may be
   * any number: -Infinity (no stream time yet) closes nothing, Infinity everything.
   */
  *closable(upTo: number): IterableIterator<WindowEntry<V>> {
    const [from, end] = namespaceRange(Namespace.window);
    if (!(upTo > Number.MIN_SAFE_INTEGER)) return;
    // start < upTo is start < ceil(upTo) for integer starts.
    const to = upTo > Number.MAX_SAFE_INTEGER ? end : windowStartPrefix(Math.ceil(upTo));
    for (const [stored, bytes] of this.#store.range(from, to)) yield this.#entry(stored, bytes);
  }

  /**
   * Every window of one key, oldest first, for interactive queries. A scan of all windows: keys
   * are stored time first for closing, and queries are rare next to closing.
   */
  *fetch(key: string): IterableIterator<WindowEntry<V>> {
    const wanted = Buffer.from(key, 'utf8');
    const [from, to] = namespaceRange(Namespace.window);
    for (const [stored, bytes] of this.#store.range(from, to)) {
      if (windowKeyBytes(stored).equals(wanted)) yield this.#entry(stored, bytes);
    }
  }

  #entry(stored: Buffer, bytes: Buffer): WindowEntry<V> {
    const { key, start } = decodeWindowKey(stored);
    return { key, start, end: start + this.#size, value: this.#serde.deserialize(bytes) };
  }
}
