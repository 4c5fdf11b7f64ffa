import { describe, expect, it } from 'vitest';
import { loadOnFirstUse } from '../../../src/transport/lazy.ts';

interface Thing {
  readonly kind: string;
  get(n: number): Promise<number>;
  close(): Promise<void>;
}

function counted(): { loads: number; closes: number; load: () => Promise<Thing> } {
  const c = {
    loads: 0,
    closes: 0,
    load: async (): Promise<Thing> => {
      c.loads++;
      return { kind: 'real', get: async (n) => n * 2, close: async () => void c.closes++ };
    },
  };
  return c;
}

describe('loadOnFirstUse', () => {
  it('answers known members without loading, loads once on the first call, and forwards every call', async () => {
    const c = counted();
    const thing = loadOnFirstUse<Thing>({ kind: 'known' }, c.load);
    expect(thing.kind).toBe('known');
    expect(c.loads).toBe(0);
    expect(await Promise.all([thing.get(1), thing.get(2)])).toEqual([2, 4]);
    expect(await thing.get(3)).toBe(6);
    expect(c.loads).toBe(1);
    await thing.close();
    expect(c.closes).toBe(1);
  });

  it('closes without loading when never used, and is not taken for a promise', async () => {
    const c = counted();
    const thing = loadOnFirstUse<Thing>({ kind: 'known' }, c.load);
    expect(await Promise.resolve(thing)).toBe(thing);
    await thing.close();
    expect(c.loads).toBe(0);
  });
});
