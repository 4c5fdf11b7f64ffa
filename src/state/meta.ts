import type { CachedStore } from './cached-store.ts';
import { metaKey } from './keys.ts';

const STREAM_TIME = metaKey('stream-time');

/**
 * The task's own entries in the meta namespace of one of its stores, written and restored with the
 * store's changelog: the stream time (the highest event time seen) survives a restart, so windows
 * close where they would have.
 */
export class TaskMeta {
  readonly #store: CachedStore;

  constructor(store: CachedStore) {
    this.#store = store;
  }

  get streamTime(): number | undefined {
    return this.#store.get(STREAM_TIME)?.readDoubleBE(0);
  }

  set streamTime(time: number) {
    const bytes = Buffer.allocUnsafe(8);
    bytes.writeDoubleBE(time, 0);
    this.#store.put(STREAM_TIME, bytes);
  }
}
