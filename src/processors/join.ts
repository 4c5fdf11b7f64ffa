/**
 * The `join:` configuration of a node. A zod union, one member per kind of join, so each kind
 * keeps its own fields and messages; the stream–stream join is one member. Running a join is the
 * runtime's job (runtime/steps/stream-join*.ts).
 */
import { z } from 'zod';
import { DurationSchema, PositiveDurationSchema, formatDuration } from './duration.ts';
import { FieldPathSchema } from './field.ts';

export const streamJoinKinds = ['inner', 'left', 'outer'] as const;
export type StreamJoinKind = (typeof streamJoinKinds)[number];

/**
 * A windowed stream–stream join (Kafka Streams' KStream#join with JoinWindows.ofTimeDifferenceAndGrace):
 * a record of the node's input (left) and one of `stream` (right) with the same `on` value pair up when
 * their event times differ by at most `withinMs`.
 */
export interface StreamJoinSpec {
  readonly kind: 'stream';
  /** The right side's topic. */
  readonly stream: string;
  readonly on: string;
  readonly withinMs: number;
  readonly graceMs: number;
  readonly join: StreamJoinKind;
  /** The field of the output that holds the right side's value. */
  readonly as: string;
}

export type JoinSpec = StreamJoinSpec;

const StreamJoinSchema = z
  .strictObject({
    stream: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,249}$/, 'a topic name is 1 to 249 of letters, digits, `.`, `_` and `-`')
      .meta({ description: 'The topic whose records are joined with the node’s input (the right side).' }),
    on: FieldPathSchema.meta({ description: 'The field both sides match on; both topics must be keyed by it.' }),
    within: PositiveDurationSchema.meta({ description: 'Records pair up when their event times differ by at most this much.' }),
    grace: DurationSchema.optional().meta({
      description: 'How far behind stream time a record may arrive and still join (default 0); later ones are dead-lettered as late.',
    }),
    kind: z
      .enum(streamJoinKinds)
      .optional()
      .meta({ description: '`inner` (default): matching pairs only; `left`: also left records that found no match, once their window closes; `outer`: unmatched records of both sides.' }),
    as: z.string().min(1).optional().meta({ description: 'The output field that holds the right record (default: the `stream` name).' }),
  })
  .transform(
    (j): StreamJoinSpec => ({
      kind: 'stream',
      stream: j.stream,
      on: j.on,
      withinMs: j.within,
      graceMs: j.grace ?? 0,
      join: j.kind ?? 'inner',
      as: j.as ?? j.stream,
    }),
  );

export const JoinConfigSchema = z
  .union([StreamJoinSchema])
  .meta({ id: 'Join', description: 'Join the node’s input with another stream in a time window (`stream:`).' });

/** How a picture labels the right side's edge: `join left ±5m (grace 1m) on order_id`. */
export function joinLabel(join: JoinSpec): string {
  const grace = join.graceMs > 0 ? ` (grace ${formatDuration(join.graceMs)})` : '';
  return `join ${join.join} ±${formatDuration(join.withinMs)}${grace} on ${join.on}`;
}
