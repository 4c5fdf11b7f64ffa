/**
 * Declarative predicates: a field and comparisons, combined with all/any/not.
 * They are data, never code: a topology file cannot make sluice evaluate a
 * string of JavaScript. Compiled once into a closure tree; records only run it.
 */
import { z } from 'zod';
import { compileFieldPath, FieldPathSchema } from './field.ts';

export type Scalar = string | number | boolean | null;

export interface Comparisons {
  eq?: Scalar;
  ne?: Scalar;
  gt?: number | string;
  gte?: number | string;
  lt?: number | string;
  lte?: number | string;
  in?: Scalar[];
  notIn?: Scalar[];
  exists?: boolean;
  startsWith?: string;
  endsWith?: string;
  contains?: Scalar;
}

export interface Predicate extends Comparisons {
  field?: string;
  all?: Predicate[];
  any?: Predicate[];
  not?: Predicate;
}

const comparisonNames = [
  'eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'notIn', 'exists', 'startsWith', 'endsWith', 'contains',
] as const satisfies ReadonlyArray<keyof Comparisons>;
const combinatorNames = ['all', 'any', 'not'] as const;

const ScalarSchema = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const OrderedSchema = z.union([z.number(), z.string()]);

function checkShape(p: Predicate, ctx: z.RefinementCtx): void {
  const combinators = combinatorNames.filter((k) => p[k] !== undefined);
  const comparisons = comparisonNames.filter((k) => p[k] !== undefined);
  const usage =
    'a predicate is `{ field: NAME, <comparison>: VALUE }` with comparisons ' +
    comparisonNames.join(', ') + ', or exactly one of `all: [...]`, `any: [...]`, `not: {...}`';
  if (combinators.length > 1 || (combinators.length === 1 && (p.field !== undefined || comparisons.length > 0))) {
    ctx.addIssue({ code: 'custom', message: `\`${combinators.join('`, `')}\` cannot be mixed with other keys; ${usage}` });
  } else if (combinators.length === 0 && p.field === undefined) {
    ctx.addIssue({ code: 'custom', message: `missing \`field\`; ${usage}` });
  } else if (combinators.length === 0 && comparisons.length === 0) {
    ctx.addIssue({ code: 'custom', message: `predicate on \`${p.field}\` has no comparison; ${usage}` });
  }
}

export const PredicateSchema: z.ZodType<Predicate> = z.lazy(() =>
  z
    .strictObject({
      field: FieldPathSchema.optional(),
      eq: ScalarSchema.optional(),
      ne: ScalarSchema.optional(),
      gt: OrderedSchema.optional(),
      gte: OrderedSchema.optional(),
      lt: OrderedSchema.optional(),
      lte: OrderedSchema.optional(),
      in: z.array(ScalarSchema).optional(),
      notIn: z.array(ScalarSchema).optional(),
      exists: z.boolean().optional(),
      startsWith: z.string().optional(),
      endsWith: z.string().optional(),
      contains: ScalarSchema.optional(),
      all: z.array(PredicateSchema).min(1).optional(),
      any: z.array(PredicateSchema).min(1).optional(),
      not: PredicateSchema.optional(),
    })
    .superRefine(checkShape),
).meta({
  id: 'Predicate',
  description: 'A declarative test on the record value: `{ field, <comparison>: value }`, or `all`/`any`/`not` of predicates.',
});

export type Test = (value: unknown) => boolean;

function ordered(op: 'gt' | 'gte' | 'lt' | 'lte', bound: number | string): (v: unknown) => boolean {
  // Numbers compare with numbers and strings with strings; mixed types never match.
  const kind = typeof bound;
  switch (op) {
    case 'gt': return (v) => typeof v === kind && (v as number) > (bound as number);
    case 'gte': return (v) => typeof v === kind && (v as number) >= (bound as number);
    case 'lt': return (v) => typeof v === kind && (v as number) < (bound as number);
    case 'lte': return (v) => typeof v === kind && (v as number) <= (bound as number);
  }
}

function memberOf(list: Scalar[]): (v: unknown) => boolean {
  const set = new Set<unknown>(list);
  return (v) => set.has(v);
}

function comparison(name: (typeof comparisonNames)[number], arg: NonNullable<Comparisons[keyof Comparisons]> | null): (v: unknown) => boolean {
  switch (name) {
    case 'eq': return (v) => v === arg;
    case 'ne': return (v) => v !== arg;
    case 'gt': case 'gte': case 'lt': case 'lte': return ordered(name, arg as number | string);
    case 'in': return memberOf(arg as Scalar[]);
    case 'notIn': { const has = memberOf(arg as Scalar[]); return (v) => !has(v); }
    case 'exists': return arg ? (v) => v !== undefined && v !== null : (v) => v === undefined || v === null;
    case 'startsWith': return (v) => typeof v === 'string' && v.startsWith(arg as string);
    case 'endsWith': return (v) => typeof v === 'string' && v.endsWith(arg as string);
    case 'contains':
      return (v) => (typeof v === 'string' && typeof arg === 'string' ? v.includes(arg) : Array.isArray(v) && v.includes(arg));
  }
}

function every(tests: Test[]): Test {
  if (tests.length === 1) return tests[0] as Test;
  return (v) => {
    for (let i = 0; i < tests.length; i++) if (!(tests[i] as Test)(v)) return false;
    return true;
  };
}

/** Compiles a validated predicate into a test on a record value. */
export function compilePredicate(p: Predicate): Test {
  if (p.all !== undefined) return every(p.all.map(compilePredicate));
  if (p.any !== undefined) {
    const tests = p.any.map(compilePredicate);
    return (v) => {
      for (let i = 0; i < tests.length; i++) if ((tests[i] as Test)(v)) return true;
      return false;
    };
  }
  if (p.not !== undefined) {
    const inner = compilePredicate(p.not);
    return (v) => !inner(v);
  }
  if (p.field === undefined) throw new TypeError('predicate has no field');
  const get = compileFieldPath(p.field);
  const tests: Array<(v: unknown) => boolean> = [];
  for (const name of comparisonNames) {
    const arg = p[name];
    if (arg !== undefined) tests.push(comparison(name, arg));
  }
  if (tests.length === 0) throw new TypeError(`predicate on \`${p.field}\` has no comparison`);
  const test = every(tests);
  return (value) => test(get(value));
}

/** One line for pictures and messages: `age >= 0`, `all(...)`. */
export function describePredicate(p: Predicate): string {
  if (p.all !== undefined) return p.all.map(describePredicate).join(' and ');
  if (p.any !== undefined) return '(' + p.any.map(describePredicate).join(' or ') + ')';
  if (p.not !== undefined) return `not (${describePredicate(p.not)})`;
  const symbols: Partial<Record<keyof Comparisons, string>> = { eq: '==', ne: '!=', gt: '>', gte: '>=', lt: '<', lte: '<=' };
  const parts: string[] = [];
  for (const name of comparisonNames) {
    const arg = p[name];
    if (arg === undefined) continue;
    if (name === 'exists') parts.push(`${p.field} ${arg ? 'exists' : 'is missing'}`);
    else parts.push(`${p.field} ${symbols[name] ?? name} ${JSON.stringify(arg)}`);
  }
  return parts.join(' and ');
}
