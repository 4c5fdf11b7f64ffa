import { describe, expect, it } from 'vitest';
import { compilePredicate, describePredicate, PredicateSchema, type Predicate } from '../../../src/processors/index.ts';

const test = (p: Predicate) => compilePredicate(PredicateSchema.parse(p));

describe('compilePredicate', () => {
  it('compares numbers with numbers and never matches across types', () => {
    const adult = test({ field: 'age', gte: 18 });
    expect(adult({ age: 18 })).toBe(true);
    expect(adult({ age: 17 })).toBe(false);
    expect(adult({ age: '30' })).toBe(false);
    expect(adult({})).toBe(false);
    expect(adult(null)).toBe(false);
  });

  it('applies every comparison given on one field (a range)', () => {
    const working = test({ field: 'age', gte: 18, lt: 65 });
    expect([10, 18, 64, 65].map((age) => working({ age }))).toEqual([false, true, true, false]);
  });

  it('reads nested fields, and never prototype members such as toString', () => {
    const paris = test({ field: 'address.city', eq: 'Paris' });
    expect(paris({ address: { city: 'Paris' } })).toBe(true);
    expect(paris({ address: null })).toBe(false);
    expect(paris('Paris')).toBe(false);
    expect(test({ field: 'toString', exists: true })({})).toBe(false);
    expect(test({ field: 'a.hasOwnProperty', exists: false })({ a: {} })).toBe(true);
  });

  it('supports in, notIn, exists, startsWith, endsWith and contains', () => {
    expect(test({ field: 'c', in: ['FR', 'DE'] })({ c: 'DE' })).toBe(true);
    expect(test({ field: 'c', notIn: ['FR', 'DE'] })({ c: 'DE' })).toBe(false);
    expect(test({ field: 'c', exists: true })({ c: null })).toBe(false);
    expect(test({ field: 'c', exists: false })({})).toBe(true);
    expect(test({ field: 'u', startsWith: '/p' })({ u: '/products' })).toBe(true);
    expect(test({ field: 'u', endsWith: '.png' })({ u: 'a.png' })).toBe(true);
    expect(test({ field: 't', contains: 'b' })({ t: 'abc' })).toBe(true);
    expect(test({ field: 't', contains: 2 })({ t: [1, 2] })).toBe(true);
    expect(test({ field: 't', contains: 2 })({ t: '2' })).toBe(false);
  });

  it('combines with all, any and not', () => {
    const p = test({ all: [{ field: 'a', eq: 1 }, { not: { any: [{ field: 'b', eq: 1 }, { field: 'c', eq: 1 }] } }] });
    expect(p({ a: 1 })).toBe(true);
    expect(p({ a: 1, c: 1 })).toBe(false);
    expect(p({ a: 2 })).toBe(false);
  });

  it('describes itself for pictures', () => {
    expect(describePredicate({ field: 'age', gte: 0 })).toBe('age >= 0');
    expect(describePredicate({ any: [{ field: 'a', eq: 'x' }, { not: { field: 'b', exists: true } }] })).toBe('(a == "x" or not (b exists))');
  });
});

describe('PredicateSchema', () => {
  it('refuses a predicate without a comparison, without a field, or mixing a combinator with a field', () => {
    expect(PredicateSchema.safeParse({ field: 'a' }).success).toBe(false);
    expect(PredicateSchema.safeParse({ eq: 1 }).success).toBe(false);
    expect(PredicateSchema.safeParse({ field: 'a', eq: 1, not: { field: 'b', eq: 1 } }).success).toBe(false);
    expect(PredicateSchema.safeParse({ all: [] }).success).toBe(false);
  });

  it('refuses unknown comparisons and prototype field names', () => {
    expect(PredicateSchema.safeParse({ field: 'a', matches: '.*' }).success).toBe(false);
    expect(PredicateSchema.safeParse({ field: '__proto__.x', eq: 1 }).success).toBe(false);
    expect(PredicateSchema.safeParse({ field: 'constructor', eq: 1 }).success).toBe(false);
  });
});
