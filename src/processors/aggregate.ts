/**
 * The built-in aggregates (count, sum, min, max, avg) as ordinary aggregators,
 * so the runtime treats them and user aggregators the same way.
 */
import { ErrorCodes, SluiceError } from '../core/index.ts';
import { defineAggregator, type Aggregator } from './define.ts';
import { compileFieldPath, type FieldGetter } from './field.ts';
import type { AggregateSpec } from './window.ts';

const count = defineAggregator<unknown, number>({
  init: () => 0,
  add: (acc) => acc + 1,
  result: (acc) => acc,
  merge: (a, b) => a + b,
});

function numberAt(get: FieldGetter, field: string, value: unknown): number {
  const n = get(value);
  if (typeof n !== 'number' || !Number.isFinite(n)) {
    throw new SluiceError(ErrorCodes.PROCESSOR, `field \`${field}\` is ${n === undefined ? 'missing' : `not a finite number (${typeof n})`}`);
  }
  return n;
}

function numeric(field: string, fold: (acc: number, n: number) => number, empty: number): Aggregator<unknown, number, number> {
  const get = compileFieldPath(field);
  return defineAggregator<unknown, number>({
    init: () => empty,
    add: (acc, value) => fold(acc, numberAt(get, field, value)),
    result: (acc) => acc,
    merge: fold,
  });
}

interface Mean {
  sum: number;
  n: number;
}

function mean(field: string): Aggregator<unknown, Mean, number> {
  const get = compileFieldPath(field);
  return defineAggregator<unknown, Mean, number>({
    init: () => ({ sum: 0, n: 0 }),
    add: (acc, value) => {
      acc.sum += numberAt(get, field, value);
      acc.n += 1;
      return acc;
    },
    result: (acc) => (acc.n === 0 ? 0 : acc.sum / acc.n),
    merge: (a, b) => ({ sum: a.sum + b.sum, n: a.n + b.n }),
  });
}

/** The aggregator for a built-in aggregate spec; `module` specs are loaded with loadAggregatorModule. */
export function builtinAggregator(spec: Exclude<AggregateSpec, { kind: 'module' }>): Aggregator<unknown, unknown, number> {
  switch (spec.kind) {
    case 'count': return count as Aggregator<unknown, unknown, number>;
    case 'sum': return numeric(spec.field, (a, n) => a + n, 0) as Aggregator<unknown, unknown, number>;
    case 'min': return numeric(spec.field, Math.min, Infinity) as Aggregator<unknown, unknown, number>;
    case 'max': return numeric(spec.field, Math.max, -Infinity) as Aggregator<unknown, unknown, number>;
    case 'avg': return mean(spec.field) as Aggregator<unknown, unknown, number>;
  }
}
