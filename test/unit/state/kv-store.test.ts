import { describe, expect, it } from 'vitest';
import { CachedStore, KeyValueStore, TaskMeta, WindowStore } from '../../../src/state/index.ts';
import { kvKey } from '../../../src/state/keys.ts';
import { MemoryBackend } from '../../../src/state/memory-backend.ts';
import { countingSerde } from './helpers.ts';

const fresh = (): CachedStore => new CachedStore(new MemoryBackend());

describe('KeyValueStore', () => {
  it('puts, reads back structured values, deletes with undefined and scans in key order', () => {
    const kv = new KeyValueStore<{ count: number; seen: Date }>(fresh());
    kv.put('b', { count: 2, seen: new Date(2) });
    kv.put('a', { count: 1, seen: new Date(1) });
    kv.put('c', { count: 3, seen: new Date(3) });
    kv.put('c', undefined);
    expect(kv.get('a')).toEqual({ count: 1, seen: new Date(1) });
    expect(kv.get('c')).toBeUndefined();
    expect([...kv.scan()].map(([key, value]) => `${key}=${value.count}`)).toEqual(['a=1', 'b=2']);
  });

  it('lists the keys written since the last call, each once', () => {
    const kv = new KeyValueStore<number>(fresh());
    kv.put('x', 1);
    kv.put('y', 1);
    kv.put('x', 2);
    expect(kv.changed()).toEqual(['x', 'y']);
    expect(kv.changed()).toEqual([]);
    kv.put('y', undefined);
    expect(kv.changed()).toEqual(['y']);
  });
});

/** A view whose key k = 1 is in the backend. */
async function committedK(): Promise<{ store: CachedStore; kv: KeyValueStore<number> }> {
  const store = fresh();
  const kv = new KeyValueStore<number>(store);
  kv.put('k', 1);
  await store.applied(store.snapshot().length);
  return { store, kv };
}

describe('KeyValueStore between snapshots', () => {
  it('returns what was put without deserializing and serializes a key once, at the snapshot', async () => {
    const store = fresh();
    const serde = countingSerde<{ count: number }>();
    const kv = new KeyValueStore(store, serde);
    for (let n = 1; n <= 1_000; n++) kv.put('hot', { count: (kv.get('hot')?.count ?? 0) + 1 });
    expect(kv.get('hot')).toEqual({ count: 1_000 });
    expect(serde).toMatchObject({ serialized: 0, deserialized: 0 });
    const changelog = store.snapshot();
    expect(serde.serialized).toBe(1);
    expect(changelog.map(({ key }) => key)).toEqual([kvKey('hot')]);
    // The snapshot took the cache's writes: the next read decodes the snapshotted bytes once.
    await store.applied(changelog.length);
    expect(kv.get('hot')).toEqual({ count: 1_000 });
    expect(serde.deserialized).toBe(1);
    expect(store.snapshot()).toEqual([]);
  });

  it('deletes with undefined over a committed value, the snapshot carrying a tombstone', async () => {
    const { store, kv } = await committedK();
    kv.put('k', 2);
    kv.put('k', undefined);
    expect(kv.get('k')).toBeUndefined();
    expect([...kv.scan()]).toEqual([]);
    expect(store.snapshot()).toEqual([{ key: kvKey('k'), value: null }]);
    expect(kv.get('k')).toBeUndefined();
  });

  it('scans and lists changed keys with the writes not yet snapshotted, serializing each once by the snapshot', () => {
    const store = fresh();
    const serde = countingSerde<number>();
    const kv = new KeyValueStore(store, serde);
    kv.put('b', 1);
    kv.put('a', 1);
    expect([...kv.scan()]).toEqual([['a', 1], ['b', 1]]);
    kv.put('a', 2);
    expect([...kv.scan()]).toEqual([['a', 2], ['b', 1]]);
    expect(kv.changed()).toEqual(['b', 'a']);
    store.snapshot();
    expect(serde.serialized).toBe(3); // a twice (written again after the first scan), b once
  });

  it('drops cached writes with a discard, the snapshot in flight too: reads see the committed value', async () => {
    const { store, kv } = await committedK();
    kv.put('k', 2);
    store.snapshot();
    kv.put('k', 3);
    kv.put('new', 1);
    store.discard();
    expect(kv.get('k')).toBe(1);
    expect(kv.get('new')).toBeUndefined();
    expect([...kv.scan()]).toEqual([['k', 1]]);
    expect(store.snapshot()).toEqual([]);
  });

  it('shares the cached writes of a namespace among its views', () => {
    const store = fresh();
    new KeyValueStore<number>(store).put('k', 1);
    expect(new KeyValueStore<number>(store).get('k')).toBe(1);
  });
});

describe('one store, one changelog for key-value entries, windows and the stream time', () => {
  it('restores all three from the entries a snapshot gave', async () => {
    const store = fresh();
    new KeyValueStore<number>(store).put('total', 42);
    new WindowStore<string>(store, { size: 1000 }).put('total', 5000, 'open');
    const meta = new TaskMeta(store);
    expect(meta.streamTime).toBeUndefined();
    meta.streamTime = 5999;
    const changelog = store.snapshot();
    expect(new Set(changelog.map(({ key }) => key[0])).size).toBe(3);

    const restored = fresh();
    await restored.restore(changelog, changelog.length);
    expect(new KeyValueStore<number>(restored).get('total')).toBe(42);
    expect([...new KeyValueStore<number>(restored).scan()]).toEqual([['total', 42]]);
    expect([...new WindowStore<string>(restored, { size: 1000 }).fetch('total')]).toEqual([
      { key: 'total', start: 5000, end: 6000, value: 'open' },
    ]);
    expect(new TaskMeta(restored).streamTime).toBe(5999);
  });
});
