import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../../src/core/index.ts';
import { CachedStore, openBackend, type ChangelogEntry, type StoreBackend } from '../../../src/state/index.ts';
import type { WriteCache } from '../../../src/state/cached-store.ts';
import { Namespace } from '../../../src/state/keys.ts';
import { MemoryBackend } from '../../../src/state/memory-backend.ts';
import { b, put, readable, tempDir, tombstone } from './helpers.ts';

const all = (store: CachedStore): [string, string][] => readable(store.range(b(0), b(0xff)));
const stored = (backend: StoreBackend): [string, string][] => readable(backend.range(b(0), b(0xff)));
const text = (entries: ChangelogEntry[]): [string, string | null][] =>
  entries.map(({ key, value }) => [key.toString('hex'), value === null ? null : value.toString()]);

async function storeOver(entries: ChangelogEntry[], checkpoint: number): Promise<{ store: CachedStore; backend: StoreBackend }> {
  const backend = new MemoryBackend();
  await backend.apply(entries, checkpoint);
  return { store: new CachedStore(backend), backend };
}

describe('CachedStore reads', () => {
  it('lets uncommitted writes win over the backend, deletes hiding backend entries', async () => {
    const { store } = await storeOver([put(b(1), 'a'), put(b(2), 'b'), put(b(3), 'c')], 10);
    store.put(b(2), Buffer.from('b2'));
    store.put(b(3), null);
    store.put(b(4), Buffer.from('d'));
    expect(store.get(b(1))?.toString()).toBe('a');
    expect(store.get(b(2))?.toString()).toBe('b2');
    expect(store.get(b(3))).toBeUndefined();
    expect(all(store)).toEqual([
      ['01', 'a'],
      ['02', 'b2'],
      ['04', 'd'],
    ]);
    expect(store.checkpoint).toBe(10);
    expect(store.dirty).toBe(3);
  });

  it('merges dirty, in-flight and backend entries in one ordered view, the newest layer winning', async () => {
    const { store } = await storeOver([put(b(1), 'base'), put(b(5), 'base'), put(b(9), 'base')], 1);
    store.put(b(5), Buffer.from('flight'));
    store.put(b(9), null);
    store.snapshot();
    store.put(b(5), Buffer.from('dirty'));
    store.put(b(9), Buffer.from('back'));
    store.put(b(3), Buffer.from('dirty'));
    expect(all(store)).toEqual([
      ['01', 'base'],
      ['03', 'dirty'],
      ['05', 'dirty'],
      ['09', 'back'],
    ]);
    expect(readable(store.range(b(2), b(9)))).toEqual([
      ['03', 'dirty'],
      ['05', 'dirty'],
    ]);
  });

  it('walks a range as it was when the walk began, while keys are deleted during it', async () => {
    const { store } = await storeOver([put(b(1), 'a'), put(b(2), 'b')], 1);
    store.put(b(3), Buffer.from('c'));
    const seen: string[] = [];
    for (const [key] of store.range(b(0), b(9))) {
      seen.push(key.toString('hex'));
      store.put(key, null);
      store.put(b(4), Buffer.from('new'));
    }
    expect(seen).toEqual(['01', '02', '03']);
    expect(all(store)).toEqual([['04', 'new']]);
  });
});

describe('CachedStore commits', () => {
  it('snapshots the latest value per dirty key, sorted, and applies them with the checkpoint', async () => {
    const { store, backend } = await storeOver([put(b(7), 'old')], 3);
    store.put(b(9), Buffer.from('x'));
    store.put(b(2), Buffer.from('y'));
    store.put(b(9), Buffer.from('x2'));
    store.put(b(7), null);
    expect(text(store.snapshot())).toEqual([
      ['02', 'y'],
      ['07', null],
      ['09', 'x2'],
    ]);
    expect(store.dirty).toBe(0);
    expect(text(store.snapshot())).toEqual([]);
    expect(backend.get(b(2))).toBeUndefined();
    await store.applied(20);
    expect(backend.checkpoint).toBe(20);
    expect(store.checkpoint).toBe(20);
    expect(stored(backend)).toEqual([
      ['02', 'y'],
      ['09', 'x2'],
    ]);
  });

  it('applies every snapshot taken since the last applied, the later one winning', async () => {
    const { store, backend } = await storeOver([], 0);
    store.put(b(1), Buffer.from('first'));
    store.put(b(2), Buffer.from('kept'));
    store.snapshot();
    store.put(b(1), Buffer.from('second'));
    expect(text(store.snapshot())).toEqual([['01', 'second']]);
    store.put(b(3), Buffer.from('later'));
    await store.applied(5);
    expect(stored(backend)).toEqual([
      ['01', 'second'],
      ['02', 'kept'],
    ]);
    expect(store.dirty).toBe(1);
    expect(store.get(b(3))?.toString()).toBe('later');
  });

  it('discards a put after a snapshot and the snapshot itself: reads see the backend again', async () => {
    const { store, backend } = await storeOver([put(b(1), 'committed')], 4);
    store.put(b(1), Buffer.from('in flight'));
    store.put(b(2), Buffer.from('in flight'));
    store.snapshot();
    store.put(b(1), Buffer.from('dirty'));
    store.put(b(3), Buffer.from('dirty'));
    store.discard();
    expect(store.get(b(1))?.toString()).toBe('committed');
    expect(store.get(b(2))).toBeUndefined();
    expect(all(store)).toEqual([['01', 'committed']]);
    expect(store.dirty).toBe(0);
    expect(text(store.snapshot())).toEqual([]);
    await store.applied(6);
    expect(stored(backend)).toEqual([['01', 'committed']]);
  });

  it('refuses an invalid key at put, before it reaches a snapshot', async () => {
    const { store } = await storeOver([], 0);
    expect(() => store.put(Buffer.alloc(0), Buffer.from('x'))).toThrow(expect.objectContaining({ code: ErrorCodes.STATE_KEY_INVALID }));
    expect(store.dirty).toBe(0);
  });

  it('after a failed backend write refuses further writes rather than record a checkpoint past lost entries', async () => {
    /** Fails its first write only: a store that went on would then write the second batch. */
    class FailingOnce extends MemoryBackend {
      #failed = false;
      override async apply(entries: readonly ChangelogEntry[], checkpoint: number): Promise<void> {
        if (this.#failed) return super.apply(entries, checkpoint);
        this.#failed = true;
        throw new Error('disk full');
      }
    }
    const backend = new FailingOnce();
    const store = new CachedStore(backend);
    store.put(b(1), Buffer.from('a'));
    store.snapshot();
    await expect(store.applied(1)).rejects.toThrow('disk full');
    store.put(b(2), Buffer.from('b'));
    store.snapshot();
    await expect(store.applied(2)).rejects.toThrow('disk full');
    await expect(store.restore([put(b(3), 'c')], 3)).rejects.toThrow('disk full');
    expect(backend.checkpoint).toBeUndefined();
  });
});

describe('CachedStore restore', () => {
  it('applies restored batches, latest wins, tombstones delete, with the checkpoint', async () => {
    const { store, backend } = await storeOver([put(b(1), 'stale'), put(b(2), 'stale')], 3);
    await store.restore([put(b(1), 'a'), put(b(3), 'c'), tombstone(b(2)), put(b(3), 'c2')], 10);
    await store.restore([tombstone(b(1)), put(b(4), 'd')], 12);
    expect(store.checkpoint).toBe(12);
    expect(all(store)).toEqual([
      ['03', 'c2'],
      ['04', 'd'],
    ]);
    await store.flush();
    expect(backend.checkpoint).toBe(12);
    expect(stored(backend)).toEqual([
      ['03', 'c2'],
      ['04', 'd'],
    ]);
  });

  it('gathers small batches and writes them in one backend write once 100,000 entries are gathered', async () => {
    const { store, backend } = await storeOver([], 0);
    const batch = (from: number): ChangelogEntry[] =>
      Array.from({ length: 10_000 }, (_, i) => put(Buffer.from(`k${String(from + i).padStart(7, '0')}`), String(from + i)));
    for (let n = 0; n < 9; n++) await store.restore(batch(n * 10_000), (n + 1) * 10_000);
    expect(backend.checkpoint).toBe(0);
    expect(store.checkpoint).toBe(90_000);
    expect(store.get(Buffer.from('k0089999'))?.toString()).toBe('89999');
    await store.restore(batch(90_000), 100_000);
    expect(backend.checkpoint).toBe(100_000);
    expect(backend.get(Buffer.from('k0099999'))?.toString()).toBe('99999');
  });

  it('writes gathered restored entries with the next applied commit', async () => {
    const { store, backend } = await storeOver([], 0);
    await store.restore([put(b(1), 'restored'), put(b(2), 'restored')], 8);
    store.put(b(2), Buffer.from('processed'));
    store.snapshot();
    await store.applied(9);
    expect(backend.checkpoint).toBe(9);
    expect(stored(backend)).toEqual([
      ['01', 'restored'],
      ['02', 'processed'],
    ]);
  });

  it('writes gathered restored entries to LMDB on close, where a reopen finds them', async () => {
    const tmp = await tempDir();
    const dir = path.join(tmp.dir, 'store');
    try {
      const store = new CachedStore(await openBackend({ kind: 'lmdb', dir }));
      await store.restore([put(b(1), 'a'), tombstone(b(2))], 77);
      await store.close();
      const reopened = new CachedStore(await openBackend({ kind: 'lmdb', dir }));
      expect(reopened.checkpoint).toBe(77);
      expect(all(reopened)).toEqual([['01', 'a']]);
      await reopened.close();
    } finally {
      await tmp.remove();
    }
  });

  it('wipes everything, layers and backend, for a restore from the start', async () => {
    const { store, backend } = await storeOver([put(b(1), 'a')], 5);
    await store.restore([put(b(2), 'b')], 6);
    store.put(b(3), Buffer.from('c'));
    await store.wipe();
    expect(store.checkpoint).toBeUndefined();
    expect(backend.checkpoint).toBeUndefined();
    expect(all(store)).toEqual([]);
  });
});

describe('CachedStore write caches', () => {
  /** Writes `pending` into the store when flushed, and says what was asked of it. */
  class Pending implements WriteCache {
    calls: string[] = [];
    pending = new Map<number, string>();
    fail = false;
    constructor(readonly store: CachedStore) {}
    flush(): void {
      this.calls.push('flush');
      if (this.fail) throw new Error('cannot serialize');
      for (const [key, value] of this.pending) this.store.put(b(key), Buffer.from(value));
      this.pending.clear();
    }
    clear(): void {
      this.calls.push('clear');
    }
  }

  it('makes one cache per namespace, flushes it before a snapshot and a range, and clears it after a snapshot', async () => {
    const { store } = await storeOver([put(b(1), 'base')], 1);
    const cache = store.writeCache(Namespace.kv, () => new Pending(store));
    expect(store.writeCache(Namespace.kv, () => new Pending(store))).toBe(cache);
    cache.pending.set(2, 'cached');
    expect(store.get(b(2))).toBeUndefined();
    expect(all(store)).toEqual([['01', 'base'], ['02', 'cached']]);
    cache.pending.set(3, 'cached');
    expect(text(store.snapshot())).toEqual([['02', 'cached'], ['03', 'cached']]);
    expect(cache.calls).toEqual(['flush', 'flush', 'clear']);
  });

  it('clears the caches with a discard and a wipe, so dropped writes stay dropped', async () => {
    const { store } = await storeOver([], 0);
    const cache = store.writeCache(Namespace.window, () => new Pending(store));
    store.discard();
    await store.wipe();
    expect(cache.calls).toEqual(['clear', 'clear']);
  });

  it('fails a snapshot whose cache cannot flush before moving anything, so the next one carries every write', async () => {
    const { store } = await storeOver([], 0);
    const cache = store.writeCache(Namespace.kv, () => new Pending(store));
    store.put(b(1), Buffer.from('dirty'));
    cache.fail = true;
    expect(() => store.snapshot()).toThrow('cannot serialize');
    expect(store.dirty).toBe(1);
    cache.fail = false;
    cache.pending.set(2, 'cached');
    expect(text(store.snapshot())).toEqual([['01', 'dirty'], ['02', 'cached']]);
  });
});
