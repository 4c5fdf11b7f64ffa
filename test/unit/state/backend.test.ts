import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../../src/core/index.ts';
import { MAX_KEY_BYTES, openBackend, type BackendSpec, type StoreBackend } from '../../../src/state/index.ts';
import { b, put, readable, tempDir, tombstone } from './helpers.ts';

const kinds: { name: string; spec: (dir: string) => BackendSpec }[] = [
  { name: 'memory', spec: () => ({ kind: 'memory' }) },
  { name: 'lmdb', spec: (dir) => ({ kind: 'lmdb', dir: path.join(dir, 'store') }) },
];

describe.each(kinds)('StoreBackend contract: $name', ({ spec }) => {
  let backend: StoreBackend;
  let removeDir: () => Promise<void>;

  beforeEach(async () => {
    const tmp = await tempDir();
    removeDir = tmp.remove;
    backend = await openBackend(spec(tmp.dir));
  });

  afterEach(async () => {
    await backend.close();
    await removeDir();
  });

  it('starts empty, without a checkpoint', () => {
    expect(backend.checkpoint).toBeUndefined();
    expect(backend.get(b(1))).toBeUndefined();
    expect(readable(backend.range(b(0), b(0xff, 0xff)))).toEqual([]);
  });

  it('applies puts and tombstones in order, the later entry for a key winning, with the checkpoint', async () => {
    await backend.apply([put(b(1), 'a'), put(b(2), 'b'), put(b(1), 'a2'), tombstone(b(2)), put(b(3), 'c')], 7);
    expect(backend.checkpoint).toBe(7);
    expect(backend.get(b(1))?.toString()).toBe('a2');
    expect(backend.get(b(2))).toBeUndefined();
    await backend.apply([tombstone(b(3)), put(b(2), 'b2')], 9);
    expect(readable(backend.range(b(0), b(9)))).toEqual([
      ['01', 'a2'],
      ['02', 'b2'],
    ]);
    expect(backend.checkpoint).toBe(9);
  });

  it('ranges from inclusive to exclusive in unsigned byte order', async () => {
    const keys = [b(0x80), b(0x01), b(0xff), b(0x01, 0x00), b(0x7f), b(0x01, 0xff)];
    await backend.apply(
      keys.map((key) => put(key, key.toString('hex'))),
      1,
    );
    expect(readable(backend.range(b(0x01), b(0xff))).map(([key]) => key)).toEqual(['01', '0100', '01ff', '7f', '80']);
    expect(readable(backend.range(b(0x01, 0x00), b(0x80))).map(([key]) => key)).toEqual(['0100', '01ff', '7f']);
  });

  it('hands out buffers that stay valid after later reads', async () => {
    await backend.apply([put(b(1), 'one'), put(b(2), 'two'), put(b(3), 'three')], 1);
    const entries = [...backend.range(b(0), b(9))];
    const got = [backend.get(b(1)), backend.get(b(2))];
    backend.get(b(3));
    expect(got.map((value) => value?.toString())).toEqual(['one', 'two']);
    expect(entries.map(([key, value]) => `${key.toString('hex')}=${value.toString()}`)).toEqual(['01=one', '02=two', '03=three']);
  });

  it('keeps its own copy of what was applied', async () => {
    const key = b(5);
    const value = Buffer.from('kept');
    await backend.apply([{ key, value }], 1);
    value.write('lost');
    key[0] = 6;
    expect(backend.get(b(5))?.toString()).toBe('kept');
  });

  it('walks a range as the store was when the walk began', async () => {
    await backend.apply([put(b(1), 'a'), put(b(2), 'b'), put(b(3), 'c')], 1);
    const walk = backend.range(b(0), b(9));
    expect(readable([walk.next().value as [Buffer, Buffer]])).toEqual([['01', 'a']]);
    await backend.apply([tombstone(b(2)), put(b(3), 'c2'), put(b(4), 'd')], 2);
    expect(readable(walk)).toEqual([
      ['02', 'b'],
      ['03', 'c'],
    ]);
    expect(readable(backend.range(b(0), b(9)))).toEqual([
      ['01', 'a'],
      ['03', 'c2'],
      ['04', 'd'],
    ]);
  });

  it('never moves its checkpoint backwards, though the entries are applied', async () => {
    await backend.apply([put(b(1), 'a')], 10);
    await backend.apply([put(b(2), 'b')], 4);
    expect(backend.checkpoint).toBe(10);
    expect(backend.get(b(2))?.toString()).toBe('b');
  });

  it('wipes entries and checkpoint', async () => {
    await backend.apply([put(b(1), 'a'), put(b(2), 'b')], 3);
    await backend.wipe();
    expect(backend.checkpoint).toBeUndefined();
    expect(backend.get(b(1))).toBeUndefined();
    expect(readable(backend.range(b(0), b(9)))).toEqual([]);
    await backend.apply([put(b(2), 'b2')], 1);
    expect(backend.checkpoint).toBe(1);
    expect(readable(backend.range(b(0), b(9)))).toEqual([['02', 'b2']]);
  });

  it('refuses a whole batch holding an empty or oversized key, with a coded error', async () => {
    await backend.apply([put(b(1), 'a')], 1);
    for (const bad of [Buffer.alloc(0), Buffer.alloc(MAX_KEY_BYTES + 1, 1)]) {
      await expect(backend.apply([put(b(2), 'b'), put(bad, 'x')], 2)).rejects.toMatchObject({
        code: ErrorCodes.STATE_KEY_INVALID,
      });
    }
    expect(backend.checkpoint).toBe(1);
    expect(backend.get(b(2))).toBeUndefined();
    const longest = Buffer.alloc(MAX_KEY_BYTES, 2);
    await backend.apply([put(longest, 'long')], 3);
    expect(backend.get(longest)?.toString()).toBe('long');
  });
});
