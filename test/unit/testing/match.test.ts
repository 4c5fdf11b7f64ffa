import { describe, expect, it } from 'vitest';
import { expand, matchesRecord, matchesSubset, matchInOrder, plain, type OutputRecord } from '../../../src/testing/match.ts';

const rec = (key: string | null, value: unknown, partition = 0): OutputRecord => ({ key, value, headers: {}, partition, offset: '0', timestamp: 0 });
const byKey = (r: OutputRecord) => (r.key === null ? `p${r.partition}` : `k${r.key}`);

describe('matchesSubset', () => {
  it('matches the fields an object gives and ignores the rest', () => {
    expect(matchesSubset({ a: 1 }, { a: 1, b: 2 })).toBe(true);
    expect(matchesSubset({ a: { b: 'x' } }, { a: { b: 'x', c: 3 } })).toBe(true);
    expect(matchesSubset({ a: 1 }, { a: 2 })).toBe(false);
    expect(matchesSubset({ a: 1 }, { b: 1 })).toBe(false);
    expect(matchesSubset({ a: undefined }, {})).toBe(false);
  });

  it('needs equal scalars and arrays of the same length', () => {
    expect(matchesSubset(3, 3)).toBe(true);
    expect(matchesSubset(3, '3')).toBe(false);
    expect(matchesSubset([{ a: 1 }], [{ a: 1, b: 2 }])).toBe(true);
    expect(matchesSubset([1], [1, 2])).toBe(false);
    expect(matchesSubset({ a: 1 }, [1])).toBe(false);
    expect(matchesSubset(null, null)).toBe(true);
  });
});

describe('matchesRecord', () => {
  it('compares a key written as a number with the key text', () => {
    expect(matchesRecord({ key: 1 }, rec('1', {}))).toBe(true);
    expect(matchesRecord({ key: null }, rec('1', {}))).toBe(false);
    expect(matchesRecord({}, rec('1', {}))).toBe(true);
  });
});

describe('matchInOrder', () => {
  it('accepts records of different keys in any interleaving', () => {
    const actual = [rec('a', 1), rec('b', 1), rec('a', 2)];
    expect(matchInOrder([{ key: 'b', value: 1 }, { key: 'a', value: 1 }, { key: 'a', value: 2 }], actual, byKey, matchesRecord)).toBeUndefined();
  });

  it("refuses one key's records out of order", () => {
    const actual = [rec('a', 1), rec('a', 2)];
    const mismatch = matchInOrder([{ key: 'a', value: 2 }, { key: 'a', value: 1 }], actual, byKey, matchesRecord);
    expect(mismatch?.missing.map((m) => m.index)).toEqual([0]);
    expect(mismatch?.unexpected).toEqual([rec('a', 2)]);
  });

  it('reports records nothing expected, and an empty expectation fails on any record', () => {
    expect(matchInOrder([], [rec('a', 1)], byKey, matchesRecord)?.unexpected).toHaveLength(1);
    expect(matchInOrder([], [], byKey, matchesRecord)).toBeUndefined();
  });

  it('orders keyless records only within their partition', () => {
    const actual = [rec(null, 'x', 0), rec(null, 'y', 1)];
    expect(matchInOrder([{ value: 'y' }, { value: 'x' }], actual, byKey, matchesRecord)).toBeUndefined();
    expect(matchInOrder([{ value: 'y' }, { value: 'x' }], [rec(null, 'x', 0), rec(null, 'y', 0)], byKey, matchesRecord)).toBeDefined();
  });
});

describe('expand and plain', () => {
  it('repeats an expectation count times', () => {
    expect(expand([{ code: 'A', count: 3 }, { code: 'B' }]).map((e) => e.code)).toEqual(['A', 'A', 'A', 'B']);
  });

  it('turns decoded bytes, longs and dates into what a test file writes', () => {
    expect(plain({ b: Buffer.from('hi'), n: 5n, big: 2n ** 60n, d: new Date(0), list: [1n] })).toEqual({ b: 'hi', n: 5, big: '1152921504606846976', d: '1970-01-01T00:00:00.000Z', list: [1] });
  });
});
