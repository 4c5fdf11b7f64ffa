import { checkKey, laterCheckpoint, type ChangelogEntry, type StoreBackend } from './backend.ts';
import { newTree, treeRange } from './tree.ts';

/** A store kept in memory only: restored from the changelog's start on every open. */
export class MemoryBackend implements StoreBackend {
  #tree = newTree<Buffer>();
  #checkpoint: number | undefined;

  get checkpoint(): number | undefined {
    return this.#checkpoint;
  }

  get(key: Buffer): Buffer | undefined {
    return this.#tree.get(key);
  }

  range(from: Buffer, to: Buffer): IterableIterator<[Buffer, Buffer]> {
    return treeRange(this.#tree, from, to);
  }

  async apply(entries: readonly ChangelogEntry[], checkpoint: number): Promise<void> {
    // Every key is checked before any is applied, so a refused batch leaves the store as it was.
    for (const { key } of entries) checkKey(key);
    for (const { key, value } of entries) {
      // Copies: buffers read from the changelog are slices of whole fetch responses, which
      // holding them would keep alive; LMDB copies as a matter of course.
      if (value === null) this.#tree.delete(key);
      else this.#tree.set(Buffer.from(key), Buffer.from(value));
    }
    this.#checkpoint = laterCheckpoint(this.#checkpoint, checkpoint);
  }

  async wipe(): Promise<void> {
    this.#tree = newTree<Buffer>();
    this.#checkpoint = undefined;
  }

  async close(): Promise<void> {
    this.#tree = newTree<Buffer>();
  }
}
