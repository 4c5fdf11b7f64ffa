import { createRequire } from 'node:module';
import type * as sortedBtree from 'sorted-btree';

// sorted-btree is CommonJS with `exports.default`: an ESM default import is module.exports under
// Node's loader but the class under Vite's (vitest), so load it the one way both agree on.
const BTree = (createRequire(import.meta.url)('sorted-btree') as typeof sortedBtree.default).default;
export type Tree<V> = sortedBtree.default<Buffer, V>;

export function newTree<V>(): Tree<V> {
  return new BTree<Buffer, V>(undefined, Buffer.compare);
}

/**
 * Entries with from <= key < to. Iterates a clone (copy-on-write, O(1)), so writes to the tree while
 * the caller walks the range (closing windows as they are read) neither break nor change the walk.
 */
export function* treeRange<V>(tree: Tree<V>, from: Buffer, to: Buffer): IterableIterator<[Buffer, V]> {
  for (const entry of tree.clone().entries(from)) {
    if (Buffer.compare(entry[0], to) >= 0) return;
    yield entry;
  }
}
