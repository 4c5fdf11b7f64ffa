/**
 * Processing steps as written in a topology's `process:` list (one key each:
 * filter, map, flatMap, key) and their normalised form, which carries a `kind`
 * so the runtime can switch on it.
 */
import { z } from 'zod';
import { FieldNameSchema, FieldPathSchema } from './field.ts';
import { PredicateSchema, type Predicate } from './predicate.ts';
import { ModuleRefSchema, type ModuleRef } from './module-ref.ts';
import { choiceRegistry } from './config-meta.ts';
import { TableJoinStepSchema, type TableJoinSpec } from './join.ts';

export interface MapSpec {
  readonly pick?: readonly string[];
  readonly drop?: readonly string[];
  readonly rename?: Readonly<Record<string, string>>;
  readonly set?: Readonly<Record<string, unknown>>;
}

export type Step =
  | { readonly kind: 'filter'; readonly predicate: Predicate }
  | ({ readonly kind: 'map' } & MapSpec)
  | { readonly kind: 'flatMap'; readonly field: string; readonly as?: string }
  | { readonly kind: 'key'; readonly field: string }
  | ({ readonly kind: 'module' } & ModuleRef)
  | { readonly kind: 'join'; readonly join: TableJoinSpec };

/** Steps compiled to pure functions; a join needs its task's state and is the runtime's. */
export type BuiltinStep = Exclude<Step, { kind: 'module' } | { kind: 'join' }>;

export const stepKinds = ['filter', 'map', 'flatMap', 'key', 'join'] as const;

const MapFieldsSchema = z
  .strictObject({
    pick: z.array(FieldNameSchema).min(1).optional().meta({ description: 'Keep only these top-level fields.' }),
    drop: z.array(FieldNameSchema).min(1).optional().meta({ description: 'Remove these top-level fields.' }),
    rename: z.record(FieldNameSchema, FieldNameSchema).optional().meta({ description: 'Rename fields: `{ old: new }`.' }),
    set: z.record(FieldNameSchema, z.unknown()).optional().meta({ description: 'Set fields to constant values.' }),
  })
  .refine((m) => Object.keys(m).length > 0, 'map needs at least one of `pick`, `drop`, `rename`, `set`, or a `module`');

const MapSchema = z
  .union([MapFieldsSchema, ModuleRefSchema])
  .meta({ description: 'Reshape the value (`pick`, `drop`, `rename`, `set`, applied in that order) or run a user `module`.' });

const FlatMapSchema = z
  .strictObject({
    field: FieldPathSchema.meta({ description: 'An array field; one record is emitted per element.' }),
    as: FieldNameSchema.optional().meta({
      description: 'Keep the other fields and put the element under this name; without it the element becomes the value.',
    }),
  })
  .meta({ description: 'Emit one record per element of an array field.' });

const KeySchema = z
  .strictObject({ field: FieldPathSchema })
  .meta({ description: 'Set the record key from a field (for partitioning and grouping).' });

export const StepSchema = z
  .strictObject({
    filter: PredicateSchema.optional().meta({ description: 'Keep the records that match the predicate.' }),
    map: MapSchema.optional(),
    flatMap: FlatMapSchema.optional(),
    key: KeySchema.optional(),
    join: TableJoinStepSchema.optional(),
  })
  .register(choiceRegistry, { noun: 'processor' })
  .superRefine((s, ctx) => {
    const given = stepKinds.filter((k) => s[k] !== undefined);
    if (given.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message:
          given.length === 0
            ? `a step names one processor: ${stepKinds.map((k) => `\`${k}\``).join(', ')}`
            : `a step names one processor, not ${given.map((k) => `\`${k}\``).join(' and ')}; split it into steps`,
      });
    }
  })
  .transform((s): Step => {
    if (s.filter !== undefined) return { kind: 'filter', predicate: s.filter };
    if (s.flatMap !== undefined) {
      return { kind: 'flatMap', field: s.flatMap.field, ...(s.flatMap.as !== undefined ? { as: s.flatMap.as } : {}) };
    }
    if (s.key !== undefined) return { kind: 'key', field: s.key.field };
    if (s.join !== undefined) return { kind: 'join', join: s.join };
    const m = s.map as z.output<typeof MapSchema>;
    return 'module' in m ? { kind: 'module', module: m.module, export: m.export } : { kind: 'map', ...m };
  })
  .meta({ id: 'Step', description: 'One processing step: `filter`, `map`, `flatMap`, `key` or `join`.' });
