import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../../src/core/index.ts';
import { CachedStore } from '../../../src/state/index.ts';
import { DecodedWrites } from '../../../src/state/decoded-writes.ts';
import { kvKey } from '../../../src/state/keys.ts';
import { MemoryBackend } from '../../../src/state/memory-backend.ts';
import { countingSerde } from './helpers.ts';

function writes<V>() {
  const store = new CachedStore(new MemoryBackend());
  const serde = countingSerde<V>();
  return { store, serde, writes: new DecodedWrites<V>(store, serde, kvKey) };
}

describe('DecodedWrites', () => {
  it('keeps the objects put, serializing each key once per flush and only when written since', () => {
    const { store, serde, writes: w } = writes<{ n: number }>();
    for (let n = 1; n <= 100; n++) w.put('hot', { n });
    const last = { n: 7 };
    w.put('cold', last);
    expect(w.get('cold')?.value).toBe(last);
    expect(w.get('never')).toBeUndefined();
    expect(serde.serialized).toBe(0);
    expect(store.dirty).toBe(0);

    w.flush();
    expect(serde.serialized).toBe(2);
    expect(store.dirty).toBe(2);
    w.flush();
    expect(serde.serialized).toBe(2);
    w.put('hot', { n: 101 });
    w.flush();
    expect(serde.serialized).toBe(3);
    expect(serde.deserialize(store.get(kvKey('hot'))!)).toEqual({ n: 101 });
  });

  it('flushes a delete as a tombstone without serializing, and remembers it as a write', () => {
    const { store, serde, writes: w } = writes<number>();
    w.put('gone', 1);
    w.put('gone', undefined);
    expect(w.get('gone')).toHaveProperty('value', undefined);
    w.flush();
    expect(serde.serialized).toBe(0);
    expect(store.snapshot()).toEqual([{ key: kvKey('gone'), value: null }]);
  });

  it('refuses a bad key at its put, not at the snapshot', () => {
    const { store, writes: w } = writes<number>();
    expect(() => w.put('k'.repeat(5_000), 1)).toThrow(expect.objectContaining({ code: ErrorCodes.STATE_KEY_INVALID }));
    expect(w.get('k'.repeat(5_000))).toBeUndefined();
    expect(store.snapshot()).toEqual([]);
  });

  it('names the key of a value its serde cannot serialize', () => {
    const { writes: w } = writes<unknown>();
    w.put('fn', { f: () => 1 });
    expect(() => w.flush()).toThrow(expect.objectContaining({ code: ErrorCodes.STATE_VALUE_INVALID, context: { key: 'fn' } }));
  });

  it('forgets everything on clear', () => {
    const { store, writes: w } = writes<number>();
    w.put('a', 1);
    w.clear();
    expect(w.get('a')).toBeUndefined();
    w.flush();
    expect(store.dirty).toBe(0);
  });
});
