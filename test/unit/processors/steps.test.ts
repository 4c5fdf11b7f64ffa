import { describe, expect, it } from 'vitest';
import { createRecord, ErrorCodes, type SluiceRecord } from '../../../src/core/index.ts';
import { chainSteps, compileProcessor, StepSchema, type BuiltinStep } from '../../../src/processors/index.ts';

const compile = (config: unknown) => compileProcessor(StepSchema.parse(config) as BuiltinStep);
const rec = (value: unknown): SluiceRecord => createRecord(value, { key: 'k', timestamp: 1, topic: 't', partition: 2, offset: '7' });

describe('StepSchema', () => {
  it('normalises each step to a kind', () => {
    expect(StepSchema.parse({ filter: { field: 'a', eq: 1 } })).toEqual({ kind: 'filter', predicate: { field: 'a', eq: 1 } });
    expect(StepSchema.parse({ map: { module: './x.ts' } })).toEqual({ kind: 'module', module: './x.ts', export: 'default' });
    expect(StepSchema.parse({ map: { pick: ['a'] } })).toEqual({ kind: 'map', pick: ['a'] });
    expect(StepSchema.parse({ flatMap: { field: 'items', as: 'item' } })).toEqual({ kind: 'flatMap', field: 'items', as: 'item' });
    expect(StepSchema.parse({ key: { field: 'city' } })).toEqual({ kind: 'key', field: 'city' });
  });

  it('refuses two processors in one step, none, an unknown one, and module mixed with fields', () => {
    expect(StepSchema.safeParse({ filter: { field: 'a', eq: 1 }, key: { field: 'a' } }).success).toBe(false);
    expect(StepSchema.safeParse({}).success).toBe(false);
    expect(StepSchema.safeParse({ filtr: {} }).success).toBe(false);
    expect(StepSchema.safeParse({ map: { module: './x.ts', pick: ['a'] } }).success).toBe(false);
    expect(StepSchema.safeParse({ map: {} }).success).toBe(false);
  });
});

describe('compileProcessor', () => {
  it('filter passes the same record or none', () => {
    const f = compile({ filter: { field: 'age', gte: 0 } });
    const r = rec({ age: 3 });
    expect(f(r)).toEqual([r]);
    expect(f(r)[0]).toBe(r);
    expect(f(rec({ age: -1 }))).toEqual([]);
  });

  it('map picks, drops, renames and sets in that order without touching the input', () => {
    const m = compile({ map: { pick: ['a', 'b', 'c'], drop: ['c'], rename: { a: 'x' }, set: { source: 'web' } } });
    const input = { a: 1, b: 2, c: 3, d: 4 };
    const [out] = m(rec(input));
    expect(out?.value).toEqual({ x: 1, b: 2, source: 'web' });
    expect(input).toEqual({ a: 1, b: 2, c: 3, d: 4 });
    expect(out).toMatchObject({ key: 'k', topic: 't', partition: 2, offset: '7' });
  });

  it('map refuses a value that is not an object, with a PROCESSOR error', () => {
    const m = compile({ map: { set: { a: 1 } } });
    expect(() => m(rec('text'))).toThrow(expect.objectContaining({ code: ErrorCodes.PROCESSOR }));
  });

  it('flatMap emits one record per element, keeping offsets so commits stay correct', () => {
    const fm = compile({ flatMap: { field: 'items' } });
    const out = fm(rec({ items: [1, 2, 3], other: true }));
    expect(out.map((r) => r.value)).toEqual([1, 2, 3]);
    expect(out.every((r) => r.offset === '7' && r.partition === 2)).toBe(true);
    expect(fm(rec({ items: [] }))).toEqual([]);
    expect(() => fm(rec({ items: 'x' }))).toThrow(/not an array/);
  });

  it('flatMap with `as` keeps the other fields', () => {
    const fm = compile({ flatMap: { field: 'items', as: 'item' } });
    expect(fm(rec({ items: ['a', 'b'], user: 'u' })).map((r) => r.value)).toEqual([
      { user: 'u', item: 'a' },
      { user: 'u', item: 'b' },
    ]);
  });

  it('key sets the record key from a scalar field, null when absent', () => {
    const k = compile({ key: { field: 'user.id' } });
    expect(k(rec({ user: { id: 42 } }))[0]?.key).toBe('42');
    expect(k(rec({ user: {} }))[0]?.key).toBeNull();
    expect(() => k(rec({ user: { id: [1] } }))).toThrow(/not a scalar/);
  });

  it('chainSteps feeds each step the previous one’s output', () => {
    const chain = chainSteps([
      compile({ flatMap: { field: 'xs' } }),
      compile({ filter: { field: 'n', gt: 1 } }),
      compile({ key: { field: 'n' } }),
    ]);
    const out = chain(rec({ xs: [{ n: 1 }, { n: 2 }, { n: 3 }] }));
    expect(out.map((r) => r.key)).toEqual(['2', '3']);
    expect(chainSteps([])(rec(1))).toHaveLength(1);
  });
});
