/**
 * The two joins' configurations and their pure parts. Running them is the runtime's job
 * (runtime/steps/table-join.ts, runtime/steps/stream-join*.ts).
 *
 * They sit in different places of a node, because they change different things:
 *
 * - a **table join** is a `process` step (`- join: { table, on, as, kind }`): it looks each record up
 *   in a table its task keeps, so it can stand anywhere in the chain;
 * - a **stream join** is the node's `join:` key (`join: { stream, on, within, grace, kind, as }`): it
 *   makes `stream` a second input of the node, read with the others, before `process` runs.
 *
 * Each place's schema recognises the other form and says where it belongs, rather than listing
 * the keys it does not know.
 */
import { z } from 'zod';
import { DurationSchema, PositiveDurationSchema, formatDuration } from './duration.ts';
import { FieldNameSchema, FieldPathSchema, compileFieldPath } from './field.ts';

export const tableJoinKinds = ['inner', 'left'] as const;
export type TableJoinKind = (typeof tableJoinKinds)[number];
export const streamJoinKinds = ['inner', 'left', 'outer'] as const;
export type StreamJoinKind = (typeof streamJoinKinds)[number];

/** `on: key` joins a table on the record key; anything else names a field of the value. */
export const JOIN_ON_KEY = 'key';

/** A stream–table join (Kafka Streams' KStream#join(KTable)): the table's latest value for the record's key. */
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

/**
 * A windowed stream–stream join (Kafka Streams' KStream#join with JoinWindows.ofTimeDifferenceAndGrace):
 * a record of the node's input (left) and one of `stream` (right) with the same `on` value pair up when
 * their event times differ by at most `withinMs`.
 */
export interface StreamJoinSpec {
  readonly with: 'stream';
  /** The right side's topic. */
  readonly stream: string;
  readonly on: string;
  readonly withinMs: number;
  readonly graceMs: number;
  readonly kind: StreamJoinKind;
  /** The field of the output that holds the right side's value. */
  readonly as: string;
}

export type JoinSpec = TableJoinSpec | StreamJoinSpec;

const TopicName = z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, 'a topic name is 1 to 249 of letters, digits, `.`, `_` and `-`');

const TableJoinSchema = z
  .strictObject({
    table: TopicName.meta({ description: 'The topic the table materialises: declared under `topics:` with `cleanup: compact`.' }),
    on: FieldPathSchema.meta({ description: 'The field of the stream record whose value is the table key, or `key` for the record key.' }),
    as: FieldNameSchema.meta({ description: 'The field of the output that holds the table’s value (null when a left join finds none).' }),
    kind: z
      .enum(tableJoinKinds)
      .optional()
      .meta({ description: '`inner` (default): a record without a match is dropped. `left`: it goes on with `as: null`.' }),
  })
  .transform((j): TableJoinSpec => ({ with: 'table', table: j.table, on: j.on, as: j.as, kind: j.kind ?? 'inner' }));

const StreamJoinSchema = z
  .strictObject({
    stream: TopicName.meta({ description: 'The topic whose records are joined with the node’s input (the right side).' }),
    on: FieldPathSchema.meta({ description: 'The field both sides match on; both topics must be keyed by it.' }),
    within: PositiveDurationSchema.meta({ description: 'Records pair up when their event times differ by at most this much.' }),
    grace: DurationSchema.optional().meta({
      description: 'How far behind stream time a record may arrive and still join (default 0); later ones are dead-lettered as late.',
    }),
    kind: z
      .enum(streamJoinKinds)
      .optional()
      .meta({ description: '`inner` (default): matching pairs only; `left`: also left records that found no match, once their window closes; `outer`: unmatched records of both sides.' }),
    as: FieldNameSchema.optional().meta({ description: 'The output field that holds the right record (default: the `stream` name).' }),
  })
  .transform(
    (j): StreamJoinSpec => ({
      with: 'stream',
      stream: j.stream,
      on: j.on,
      withinMs: j.within,
      graceMs: j.grace ?? 0,
      kind: j.kind ?? 'inner',
      as: j.as ?? j.stream,
    }),
  );

/** `schema`, unless the value is the other join's form (it has `key`): then only `message`, at the join. */
function placed<T extends z.ZodType>(schema: T, key: 'table' | 'stream', message: string) {
  return z.preprocess((value, ctx) => {
    if (typeof value === 'object' && value !== null && key in value) ctx.addIssue({ code: 'custom', message, input: value });
    return value;
  }, schema);
}

/** The `join:` step of `process`. */
export const TableJoinStepSchema = placed(
  TableJoinSchema,
  'stream',
  'a stream join is not a step: it makes `stream` a second input of the node, so it is the node’s `join:` key, beside `from:` (before `process`)',
).meta({ description: 'Enrich each record from a table: `{ table: TOPIC, on: FIELD | key, as: FIELD, kind: inner | left }` adds the table’s latest value for the key.' });

/** The node's `join:` key. */
export const StreamJoinNodeSchema = placed(
  StreamJoinSchema,
  'table',
  'a table join is a step: write it in `process` as `- join: { table, on, as }`; the node’s `join:` key joins another stream',
).meta({ id: 'StreamJoin', description: 'Join the node’s input with another stream in a time window, before `process`.' });

/**
 * A join key as text, how both joins match (a table's record keys are compared as these bytes):
 * strings as they are, finite numbers and booleans printed; nothing else is a key.
 */
export function joinKeyText(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return undefined;
}

/** The table key a record looks up, as the bytes table records are keyed by; undefined when it has none. */
export type JoinKeyOf = (key: Buffer | string | null, value: unknown) => Buffer | undefined;

export function compileJoinKey(on: string): JoinKeyOf {
  if (on === JOIN_ON_KEY) return (key) => (key === null || key.length === 0 ? undefined : Buffer.isBuffer(key) ? key : Buffer.from(key, 'utf8'));
  const get = compileFieldPath(on);
  return (_key, value) => {
    const text = joinKeyText(get(value));
    return text === undefined ? undefined : Buffer.from(text, 'utf8');
  };
}

/** Whether a value can take the other side under a field: both joins add one to their (left) input. */
export function isJoinable(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

/**
 * The stream value with the table's value under `as`; undefined when the
 * record is dropped (an inner join without a match). `match` undefined is a miss.
 */
export function joinValue(value: unknown, match: unknown, spec: Pick<TableJoinSpec, 'as' | 'kind'>): Record<string, unknown> | undefined {
  if (!isJoinable(value)) {
    throw new TypeError(`a join adds a field, so the record value must be an object; got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`);
  }
  if (match === undefined && spec.kind === 'inner') return undefined;
  return { ...value, [spec.as]: match ?? null };
}

/** How a picture labels the other side's edge: `join left ±5m (grace 1m) on order_id`, `join inner (table) on customer_id`. */
export function joinLabel(join: JoinSpec): string {
  if (join.with === 'table') return `join ${join.kind} (table) on ${join.on}`;
  const grace = join.graceMs > 0 ? ` (grace ${formatDuration(join.graceMs)})` : '';
  return `join ${join.kind} ±${formatDuration(join.withinMs)}${grace} on ${join.on}`;
}
