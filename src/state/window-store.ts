import type { CachedStore } from './cached-store.ts';
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

/** Windows keyed by (key, start) in the window namespace of a CachedStore, stored start first. */
export class WindowStore<V> {
  readonly #store: CachedStore;
  readonly #size: number;
  readonly #serde: Serde<V>;

  constructor(store: CachedStore, options: WindowStoreOptions<V>) {
    if (!(options.size > 0)) throw new RangeError(`a window size must be positive, got ${options.size}`);
    this.#store = store;
    this.#size = options.size;
    this.#serde = options.serde ?? v8Serde<V>();
  }

  get(key: string, start: number): V | undefined {
    const bytes = this.#store.get(windowKey(key, start));
    return bytes === undefined ? undefined : this.#serde.deserialize(bytes);
  }

  /** undefined deletes (a closed window past retention). */
  put(key: string, start: number, value: V | undefined): void {
    this.#store.put(windowKey(key, start), value === undefined ? null : this.#serde.serialize(value));
  }

  /**
   * Windows with start < upTo, oldest first, without reading any later one. Deleting the windows
   * returned while walking is fine: the walk reads the store as it was when it began.
   */
  *closable(upTo: number): IterableIterator<WindowEntry<V>> {
    const [from, end] = namespaceRange(Namespace.window);
    // start < upTo is start < ceil(upTo) for integer starts.
    const to = upTo === Infinity ? end : windowStartPrefix(Math.ceil(upTo));
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
