import { describe, expect, it } from 'vitest';
import { StepSchema, StreamJoinNodeSchema, TableJoinStepSchema, compileJoinKey, joinKeyText, joinValue } from '../../../src/processors/index.ts';

describe('the join step config', () => {
  it('parses a table join, inner by default', () => {
    expect(StepSchema.parse({ join: { table: 'customers', on: 'customer_id', as: 'customer' } })).toEqual({
      kind: 'join',
      join: { with: 'table', table: 'customers', on: 'customer_id', as: 'customer', kind: 'inner' },
    });
  });

  it('refuses an unknown kind and a forbidden output field', () => {
    expect(TableJoinStepSchema.safeParse({ table: 'c', on: 'id', as: 'c', kind: 'outer' }).success).toBe(false);
    expect(TableJoinStepSchema.safeParse({ table: 'c', on: 'id', as: '__proto__' }).success).toBe(false);
    expect(TableJoinStepSchema.safeParse({ table: 'c', on: 'id' }).success).toBe(false);
  });

  it('answers the other join’s form with one message saying where it belongs', () => {
    const step = TableJoinStepSchema.safeParse({ stream: 'payments', on: 'order_id', within: '5m' });
    expect(step.error?.issues.map((i) => i.message)).toEqual([expect.stringMatching(/^a stream join is not a step: .*the node’s `join:` key/)]);
    const node = StreamJoinNodeSchema.safeParse({ table: 'customers', on: 'customer_id', as: 'customer' });
    expect(node.error?.issues.map((i) => i.message)).toEqual([expect.stringMatching(/^a table join is a step: write it in `process`/)]);
  });
});

describe('the table key a record looks up', () => {
  it('is the field value as text, or the record key with `on: key`', () => {
    expect(compileJoinKey('customer.id')(null, { customer: { id: 42 } })).toEqual(Buffer.from('42'));
    expect(compileJoinKey('key')('c-1', { customer_id: 'other' })).toEqual(Buffer.from('c-1'));
    expect(compileJoinKey('key')(Buffer.from('c-2'), {})).toEqual(Buffer.from('c-2'));
  });

  it('is absent for a missing, null or empty field', () => {
    const of = compileJoinKey('customer_id');
    expect(of('k', {})).toBeUndefined();
    expect(of('k', { customer_id: null })).toBeUndefined();
    expect(of('k', { customer_id: '' })).toBeUndefined();
    expect(of('k', { customer_id: { a: 1 } })).toBeUndefined();
  });

  it('is the text both joins match on: strings, finite numbers and booleans', () => {
    expect([joinKeyText('o-1'), joinKeyText(7), joinKeyText(true), joinKeyText(12n)]).toEqual(['o-1', '7', 'true', '12']);
    expect([joinKeyText(Number.NaN), joinKeyText(null), joinKeyText([1]), joinKeyText('')]).toEqual([undefined, undefined, undefined, undefined]);
  });
});

describe('joinValue', () => {
  const order = { order_id: 'o-1', customer_id: 'c-1' };

  it('adds the match under `as` and leaves the input unchanged', () => {
    expect(joinValue(order, { tier: 'gold' }, { as: 'customer', kind: 'inner' })).toEqual({ ...order, customer: { tier: 'gold' } });
    expect(order).toEqual({ order_id: 'o-1', customer_id: 'c-1' });
  });

  it('drops a miss in an inner join and keeps it, with null, in a left join', () => {
    expect(joinValue(order, undefined, { as: 'customer', kind: 'inner' })).toBeUndefined();
    expect(joinValue(order, undefined, { as: 'customer', kind: 'left' })).toEqual({ ...order, customer: null });
  });

  it('refuses a value that is not an object', () => {
    expect(() => joinValue('text', {}, { as: 'c', kind: 'left' })).toThrow(/must be an object; got string/);
    expect(() => joinValue([1], {}, { as: 'c', kind: 'left' })).toThrow(/got an array/);
  });
});
