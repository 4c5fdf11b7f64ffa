import { describe, expect, it } from 'vitest';
import { CachedStore, KeyValueStore, TaskMeta, WindowStore } from '../../../src/state/index.ts';
import { MemoryBackend } from '../../../src/state/memory-backend.ts';

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
