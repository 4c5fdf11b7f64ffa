import { ErrorCodes, SluiceError } from '../core/index.ts';

/** A change to one key, as written to the changelog: value null deletes (a tombstone). */
export interface ChangelogEntry {
  key: Buffer;
  value: Buffer | null;
}

/**
 * Where a store's bytes live. All keys are compared as unsigned bytes (Buffer.compare).
 * Buffers handed out are the store's own: read them, never mutate them.
 */
export interface StoreBackend {
  get(key: Buffer): Buffer | undefined;
  /** Entries with from <= key < to, ascending, as the store was when the iteration began. */
  range(from: Buffer, to: Buffer): IterableIterator<[Buffer, Buffer]>;
  /**
   * Applies entries in order (a later entry for a key wins) and records `checkpoint` (the next changelog
   * offset to restore from) atomically. A checkpoint lower than the current one is ignored: the entries
   * are applied, the checkpoint stays.
   */
  apply(entries: readonly ChangelogEntry[], checkpoint: number): Promise<void>;
  /** The last applied checkpoint, undefined for an empty/new store. */
  readonly checkpoint: number | undefined;
  /** Forget everything including the checkpoint (a restore from the changelog's start follows). */
  wipe(): Promise<void>;
  close(): Promise<void>;
}

/** LMDB's limit with its default page size; the memory backend keeps it too so both accept the same keys. */
export const MAX_KEY_BYTES = 1978;

export function checkKey(key: Buffer): void {
  if (key.length === 0 || key.length > MAX_KEY_BYTES) {
    throw new SluiceError(
      ErrorCodes.STATE_KEY_INVALID,
      `a state store key must be 1 to ${MAX_KEY_BYTES} bytes, this one is ${key.length}`,
      { context: { keyBytes: key.length } },
    );
  }
}

/** The checkpoint after applying `next`: checkpoints never move backwards. */
export function laterCheckpoint(current: number | undefined, next: number): number {
  return current === undefined ? next : Math.max(current, next);
}
