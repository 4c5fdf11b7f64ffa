import { describe, expect, it } from 'vitest';
import { CachedStore, WindowStore } from '../../../src/state/index.ts';
import { MemoryBackend } from '../../../src/state/memory-backend.ts';
import { windowKey } from '../../../src/state/keys.ts';
import { countingSerde } from './helpers.ts';

/** Counts the entries the backend hands out, to show which windows a walk read. */
class CountingBackend extends MemoryBackend {
  read = 0;
  override *range(from: Buffer, to: Buffer): IterableIterator<[Buffer, Buffer]> {
    for (const entry of super.range(from, to)) {
      this.read++;
      yield entry;
    }
  }
}

const summary = (windows: Iterable<{ key: string; start: number; end: number; value: number }>): string[] =>
  [...windows].map((w) => `${w.key}@${w.start}-${w.end}=${w.value}`);

describe('WindowStore', () => {
  it('yields the windows starting before upTo oldest first, across keys, negative starts included', () => {
    const windows = new WindowStore<number>(new CachedStore(new MemoryBackend()), { size: 10 });
    windows.put('b', 20, 1);
    windows.put('a', 20, 2);
    windows.put('zz', 0, 3);
    windows.put('a', -10, 4);
    windows.put('a', 30, 5);
    windows.put('b', 1_700_000_000_000, 6);
    expect(summary(windows.closable(30))).toEqual(['a@-10-0=4', 'zz@0-10=3', 'a@20-30=2', 'b@20-30=1']);
    expect(summary(windows.closable(20.5))).toEqual(['a@-10-0=4', 'zz@0-10=3', 'a@20-30=2', 'b@20-30=1']);
    expect(summary(windows.closable(-10))).toEqual([]);
    expect(summary(windows.closable(-Infinity))).toEqual([]);
    expect(summary(windows.closable(Number.MAX_VALUE))).toHaveLength(6);
    expect(summary(windows.closable(Infinity)).at(-1)).toBe('b@1700000000000-1700000000010=6');
  });

  it('reads no window that is still open to close the old ones', async () => {
    const backend = new CountingBackend();
    const store = new CachedStore(backend);
    const windows = new WindowStore<number>(store, { size: 60_000 });
    for (let minute = 0; minute < 100; minute++) for (const key of ['x', 'y']) windows.put(key, minute * 60_000, minute);
    store.snapshot();
    await store.applied(1);
    backend.read = 0;
    expect([...windows.closable(3 * 60_000)]).toHaveLength(6);
    expect(backend.read).toBe(6);
  });

  it('deletes closed windows while walking them, the deletes reaching the changelog and the backend', async () => {
    const backend = new MemoryBackend();
    const store = new CachedStore(backend);
    const windows = new WindowStore<number>(store, { size: 10 });
    windows.put('k', 0, 1);
    windows.put('k', 10, 2);
    windows.put('k', 20, 3);
    store.snapshot();
    await store.applied(1);
    const closed: number[] = [];
    for (const window of windows.closable(20)) {
      closed.push(window.start);
      windows.put(window.key, window.start, undefined);
    }
    expect(closed).toEqual([0, 10]);
    expect(summary(windows.fetch('k'))).toEqual(['k@20-30=3']);
    expect(summary(windows.closable(Infinity))).toEqual(['k@20-30=3']);
    const changelog = store.snapshot();
    expect(changelog.map(({ key, value }) => [key.equals(windowKey('k', 0)) || key.equals(windowKey('k', 10)), value])).toEqual([
      [true, null],
      [true, null],
    ]);
    await store.applied(2);
    expect(backend.get(windowKey('k', 0))).toBeUndefined();
    expect(windows.get('k', 20)).toBe(3);
  });

  it('fetches every window of one key, oldest first, and no other key sharing its prefix', () => {
    const windows = new WindowStore<string>(new CachedStore(new MemoryBackend()), { size: 5 });
    windows.put('user', 10, 'late');
    windows.put('user', 5, 'early');
    windows.put('user-2', 5, 'other');
    windows.put('use', 5, 'other');
    expect([...windows.fetch('user')].map((w) => `${w.start}:${w.value}`)).toEqual(['5:early', '10:late']);
    expect(windows.get('user', 5)).toBe('early');
    expect(windows.get('user', 6)).toBeUndefined();
  });

  it('returns windows written since the snapshot without deserializing, serializing each once', () => {
    const store = new CachedStore(new MemoryBackend());
    const serde = countingSerde<number>();
    const windows = new WindowStore(store, { size: 10, serde });
    for (let n = 0; n < 50; n++) for (const start of [0, 10]) windows.put('k', start, (windows.get('k', start) ?? 0) + 1);
    windows.put('other', 0, 1);
    windows.put('other', 0, undefined);
    expect([windows.get('k', 0), windows.get('k', 10), windows.get('other', 0)]).toEqual([50, 50, undefined]);
    expect(serde).toMatchObject({ serialized: 0, deserialized: 0 });
    expect(store.snapshot().map(({ key, value }) => [key.equals(windowKey('other', 0)) ? 'other' : 'k', value === null])).toEqual([
      ['k', false],
      ['other', true],
      ['k', false],
    ]);
    expect(serde.serialized).toBe(2);
  });

  it('closes and fetches windows not yet snapshotted, deletes during the walk reaching the snapshot', () => {
    const store = new CachedStore(new MemoryBackend());
    const serde = countingSerde<number>();
    const windows = new WindowStore(store, { size: 10, serde });
    windows.put('k', 0, 1);
    windows.put('k', 10, 2);
    expect(summary(windows.fetch('k'))).toEqual(['k@0-10=1', 'k@10-20=2']);
    for (const window of windows.closable(10)) windows.put(window.key, window.start, undefined);
    expect(summary(windows.closable(Infinity))).toEqual(['k@10-20=2']);
    expect(windows.get('k', 0)).toBeUndefined();
    expect(store.snapshot().map(({ value }) => value === null)).toEqual([true, false]);
    // Flushed by the first walk and not written since: the snapshot serializes nothing more.
    expect(serde.serialized).toBe(2);
  });

  it('drops windows not yet snapshotted with a discard', async () => {
    const store = new CachedStore(new MemoryBackend());
    const windows = new WindowStore<number>(store, { size: 10 });
    windows.put('k', 0, 1);
    await store.applied(store.snapshot().length);
    windows.put('k', 0, 2);
    windows.put('k', 10, 1);
    store.discard();
    expect(windows.get('k', 0)).toBe(1);
    expect(summary(windows.closable(Infinity))).toEqual(['k@0-10=1']);
    expect(store.snapshot()).toEqual([]);
  });
});
