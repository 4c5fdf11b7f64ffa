/**
 * The `join:` step's configuration and its pure part: which key a record
 * looks up, and the record a match (or a miss) makes. Holding the other side
 * (a table's store, a stream's window) is the runtime's job.
 *
 * The schema is a union of variants, one per thing joined with (`table:`
 * today), so another variant sits beside it without touching this one.
 */
import { z } from 'zod';
import { FieldPathSchema, compileFieldPath, isForbiddenKey } from './field.ts';

export const tableJoinKinds = ['inner', 'left'] as const;
export type TableJoinKind = (typeof tableJoinKinds)[number];

/** `on: key` joins on the record key; anything else names a field of the value. */
export const JOIN_ON_KEY = 'key';

export interface TableJoinSpec {
  readonly with: 'table';
  /** The compacted topic the table materialises. */
  readonly table: string;
  /** A field path of the stream record's value, or `key` (JOIN_ON_KEY) for the record key. */
  readonly on: string;
  /** The field the table's value is put under. */
  readonly as: string;
  readonly kind: TableJoinKind;
}

export type JoinSpec = TableJoinSpec;

const TableJoinSchema = z
  .strictObject({
    table: z.string().min(1).meta({ description: 'The topic the table materialises: declared under `topics:` with `cleanup: compact`.' }),
    on: FieldPathSchema.meta({ description: 'The field of the stream record whose value is the table key, or `key` for the record key.' }),
    as: z
      .string()
      .min(1)
      .refine((k) => !isForbiddenKey(k), 'field names `__proto__`, `constructor` and `prototype` are refused')
      .meta({ description: 'The field of the output that holds the table’s value (null when a left join finds none).' }),
    kind: z
      .enum(tableJoinKinds)
      .optional()
      .meta({ description: '`inner` (default): a record without a match is dropped. `left`: it goes on with `as: null`.' }),
  })
  .transform((j): TableJoinSpec => ({ with: 'table', table: j.table, on: j.on, as: j.as, kind: j.kind ?? 'inner' }));

export const JoinSchema = z
  .union([TableJoinSchema])
  .meta({ description: 'Enrich each record: `{ table: TOPIC, on: FIELD | key, as: FIELD, kind: inner | left }` adds the table’s latest value for the key.' });

/** The table key a record looks up, as the bytes table records are keyed by; undefined when it has none. */
export type JoinKeyOf = (key: Buffer | string | null, value: unknown) => Buffer | undefined;

export function keyBytes(key: unknown): Buffer | undefined {
  if (key === null || key === undefined) return undefined;
  if (Buffer.isBuffer(key)) return key.length === 0 ? undefined : key;
  const text = typeof key === 'string' ? key : typeof key === 'number' || typeof key === 'bigint' || typeof key === 'boolean' ? String(key) : JSON.stringify(key);
  return text === '' ? undefined : Buffer.from(text, 'utf8');
}

export function compileJoinKey(on: string): JoinKeyOf {
  if (on === JOIN_ON_KEY) return (key) => keyBytes(key);
  const get = compileFieldPath(on);
  return (_key, value) => keyBytes(get(value));
}

/**
 * The stream value with the table's value under `as`; undefined when the
 * record is dropped (an inner join without a match). `match` undefined is a miss.
 */
export function joinValue(value: unknown, match: unknown, spec: Pick<TableJoinSpec, 'as' | 'kind'>): Record<string, unknown> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`a join adds a field, so the record value must be an object; got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`);
  }
  if (match === undefined && spec.kind === 'inner') return undefined;
  return { ...(value as Record<string, unknown>), [spec.as]: match ?? null };
}
