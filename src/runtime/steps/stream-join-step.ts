/**
 * The `join: { stream }` step of a stage: right after decode, records of the join's `stream` topic
 * (the right side) and of the node's other input topics (the left side) go through the pure join of
 * their task (stream-join.ts), whose buffers live in the task's `join` store and so survive
 * restarts, rebalances and crashes through its changelog. Both sides are partitions of one task,
 * which the topic source hands out earliest event time first (transport/earliest-queues.ts).
 *
 * Output values: the left record with the right one under `as` (null when a left or outer join
 * emits a left record that found no match); an outer join's unmatched right record becomes
 * `{ <as>: right }`. The key is the join key, the timestamp the later of the pair's times.
 *
 * Tokens: as in the window step, a record keeps one share while its effect is only in the store's
 * cache (the task's next changelog write finishes it), plus one per result it emits.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { ErrorCodes, SluiceError, toSluiceError } from '../../core/index.ts';
import { compileFieldPath, isJoinable, joinKeyText, type FieldGetter, type StreamJoinSpec } from '../../processors/index.ts';
import { JOIN_STORE } from '../../topology/index.ts';
import type { Envelope, Provenance } from '../envelope.ts';
import type { ErrorChannel } from '../step.ts';
import type { Task } from '../task/task.ts';
import { TaskJoin, type JoinResult, type JoinSide } from './stream-join.ts';

export interface StreamJoinStreamOptions {
  spec: StreamJoinSpec;
  onError: ErrorChannel;
}

export class StreamJoinStream extends Transform {
  readonly #spec: StreamJoinSpec;
  readonly #on: FieldGetter;
  readonly #onError: ErrorChannel;
  readonly #tasks = new Map<Task, TaskJoin>();

  constructor(options: StreamJoinStreamOptions) {
    super({ objectMode: true, highWaterMark: 256 });
    this.#spec = options.spec;
    this.#on = compileFieldPath(options.spec.on);
    this.#onError = options.onError;
  }

  #of(task: Task): TaskJoin {
    let state = this.#tasks.get(task);
    if (state === undefined) for (const gone of this.#tasks.keys()) if (gone.closed) this.#tasks.delete(gone);
    if (state === undefined) this.#tasks.set(task, (state = new TaskJoin(this.#spec, task.store(JOIN_STORE))));
    return state;
  }

  /** Right before a task's snapshot (the task manager calls it): its stream time goes in with the changes. */
  readonly beforeSnapshot = (task: Task): void => {
    this.#of(task).saveStreamTime();
  };

  /** The latest event time any of its live tasks has seen; -Infinity before any record. */
  get streamTime(): number {
    let latest = Number.NEGATIVE_INFINITY;
    for (const [task, state] of this.#tasks) if (!task.closed) latest = Math.max(latest, state.streamTime);
    return latest;
  }

  /** Moves a task's stream time on without a record (a test driver's clock), emitting the unmatched records that closes. */
  advanceTo(task: Task, time: number): void {
    if (task.closed) return;
    const results = this.#of(task).advanceTo(time);
    if (results.length === 0) return;
    // One token for them: the task's next commit waits until each is written.
    const token = task.emitToken();
    token.fanOut(results.length);
    for (const r of results) this.#emit(task, r, token, undefined);
  }

  override _transform(env: Envelope, _enc: BufferEncoding, callback: TransformCallback): void {
    const task = env.task;
    if (task === undefined || task.closed) {
      // Its partition was given up while it was on its way: the next owner reads it again.
      callback();
      return;
    }
    const state = this.#of(task);
    const r = env.record;
    const side: JoinSide = r.topic === this.#spec.stream ? 'right' : 'left';
    if (side === 'left' && !isJoinable(r.value)) {
      this.#fail(new SluiceError(ErrorCodes.RECORD_INVALID, `a left record of a join must be an object, to take the right one under \`${this.#spec.as}\``), env, callback);
      return;
    }
    const key = joinKeyText(this.#on(r.value));
    if (key === undefined) {
      this.#fail(new SluiceError(ErrorCodes.RECORD_INVALID, `the ${side} record has no join key: \`${this.#spec.on}\` is ${JSON.stringify(this.#on(r.value)) ?? 'undefined'}`), env, callback);
      return;
    }
    const lateness = state.lateness(r.timestamp);
    if (lateness > 0) {
      const err = new SluiceError(ErrorCodes.LATE_RECORD, `${side} record at ${new Date(r.timestamp).toISOString()} is ${lateness} ms past its join window and grace`, {
        context: { lateness, streamTime: state.streamTime },
      });
      this.#fail(err, env, callback);
      return;
    }
    let results: JoinResult[];
    try {
      results = state.add(side, key, r.timestamp, r.value);
    } catch (err) {
      this.#fail(toSluiceError(err, ErrorCodes.PROCESSOR), env, callback);
      return;
    }
    // The record now stands for its results and one share held by the store.
    env.token?.fanOut(results.length + 1);
    task.hold(env.token, env.origin.topic, env.origin.offset);
    for (const result of results) this.#emit(task, result, env.token, env.origin);
    callback();
  }

  #fail(error: SluiceError, env: Envelope, callback: TransformCallback): void {
    this.#onError(error, env).then(() => callback(), callback);
  }

  #emit(task: Task, result: JoinResult, token: Envelope['token'], origin: Provenance | undefined): void {
    const as = this.#spec.as;
    const value = isJoinable(result.left) ? { ...result.left, [as]: result.right } : { [as]: result.right };
    this.push({
      record: { key: result.key, value, headers: {}, timestamp: result.timestamp },
      token,
      task,
      origin: origin ?? { rawKey: result.key, rawValue: null, rawHeaders: {}, timestamp: result.timestamp },
    } satisfies Envelope);
  }
}
