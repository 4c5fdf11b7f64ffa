import { describe, expect, it } from 'vitest';
import { closest, editDistance } from '../../../src/topology/index.ts';

describe('editDistance', () => {
  it('counts insertions, deletions, substitutions and adjacent swaps as one edit', () => {
    expect(editDistance('users.clen', 'users.clean')).toBe(1);
    expect(editDistance('filtre', 'filter')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
  });
});

describe('closest', () => {
  it('suggests a near name and nothing for a far one', () => {
    expect(closest('users.clen', ['users.raw', 'users.clean', 'city.counts'])).toBe('users.clean');
    expect(closest('filtr', ['filter', 'map', 'flatMap', 'key'])).toBe('filter');
    expect(closest('aggregate', ['filter', 'map'])).toBeUndefined();
    expect(closest('a', ['a'])).toBeUndefined();
  });
});
