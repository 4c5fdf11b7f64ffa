/**
 * Tables and the stream–table join, on the stores of a task (task.ts).
 *
 * A table is a compacted topic materialised per task: partition N of the
 * topic in a key-value store of task N, the latest value bytes per record
 * key (a null value deletes). The topic is its own changelog: on assignment
 * the task manager restores the store from the topic up to the group's
 * committed offset of it (task/restore.ts), then the consumer reads the topic
 * on from there with the stage's other inputs, in timestamp order per task
 * (transport/task-sync.ts), and the absorb step
 * (first in the pipeline, before decoding) applies each record to the store.
 * Table records go no further: they are state, not stream.
 *
 * The join step looks the stream record's key up in the store when the
 * record reaches it: the table's latest value then, as Kafka Streams'
 * `KStream#join(KTable)` does. Values are kept as their topic's bytes and
 * decoded at lookup.
 */
import { ErrorCodes, SluiceError } from '../../core/index.ts';
import { compileJoinKey, joinValue, type TableJoinSpec } from '../../processors/index.ts';
import type { Envelope } from '../envelope.ts';
import type { StepFn } from '../step.ts';

/** Puts the records of table topics into their task's table store; every other record passes. */
export function tableAbsorbFn(tables: ReadonlySet<string>): StepFn {
  return (env: Envelope) => {
    const r = env.record;
    if (r.topic === undefined || !tables.has(r.topic)) return env;
    const table = env.task?.tables.get(r.topic);
    // Its partition was given up while it was on its way: the next owner restores it from the topic.
    if (table === undefined || env.task!.closed) return null;
    const key = r.key === null ? undefined : Buffer.isBuffer(r.key) ? r.key : Buffer.from(r.key, 'utf8');
    if (key === undefined || key.length === 0) {
      throw new SluiceError(ErrorCodes.RECORD_INVALID, `a record of table \`${r.topic}\` has no key: a table keeps one value per key`, {
        context: { topic: r.topic, partition: env.origin.partition, offset: env.origin.offset },
      });
    }
    const value = r.value === null ? null : Buffer.isBuffer(r.value) ? r.value : Buffer.from(String(r.value), 'utf8');
    return table.store.restore([{ key, value }], Number(env.origin.offset) + 1).then(() => null);
  };
}

/**
 * The join of one step: the record with the table's value under `as`, or
 * dropped (inner join, no match). `decode` turns the stored bytes into the
 * value, with the table topic's codec chain.
 */
export function tableJoinFn(spec: TableJoinSpec, decode: (bytes: Buffer) => unknown): StepFn {
  const keyOf = compileJoinKey(spec.on);
  return (env: Envelope) => {
    const table = env.task?.tables.get(spec.table);
    if (table === undefined) return null;
    const r = env.record;
    const key = keyOf(r.key, r.value);
    const bytes = key === undefined ? undefined : table.store.get(key);
    const value = joinValue(r.value, bytes === undefined ? undefined : decode(bytes), spec);
    if (value === undefined) return null;
    r.value = value;
    return env;
  };
}
