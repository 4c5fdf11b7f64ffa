/**
 * The `window:` step: aggregates records per key over tumbling, hopping or
 * global windows on event time (`record.timestamp`), in the state stores of
 * the record's task (task.ts), so aggregates survive restarts, rebalances
 * and crashes through the stores' changelogs.
 *
 * - Stream time is the largest event time a task has seen (as in a Kafka
 *   Streams task), kept in its store: partitions are read at their own pace,
 *   so one partition's progress must not make another's records late. A
 *   tumbling or hopping window is emitted, final, once stream time passes
 *   its end plus grace, and deleted from the store then. A record for
 *   windows already closed is late and goes to the dead-letter channel with
 *   its lateness. A stop, an end of input or a crash emits nothing: open
 *   windows stay in the store and close when later records move time on.
 * - A global window never closes: the aggregates of keys that changed are
 *   emitted on each commit of the task, before its changes are written, as
 *   Kafka Streams emits table updates on commit.
 * - Commits: a record's token keeps one share while its effect is only in
 *   the store's cache; the task's next changelog write finishes it (see the
 *   task manager for the order).
 */
import { Transform, type TransformCallback } from 'node:stream';
import { serialize } from 'node:v8';
import { ErrorCodes, SluiceError, toSluiceError, type SluiceRecord } from '../../core/index.ts';
import {
  builtinAggregator,
  compileFieldPath,
  isWindowClosed,
  loadAggregatorModule,
  windowsFor,
  type Aggregator,
  type WindowedAggregate,
  type WindowResult,
  type WindowSpec,
} from '../../processors/index.ts';
import { KeyValueStore, TaskMeta, WindowStore } from '../../state/index.ts';
import { AGGREGATE_STORE } from '../../topology/index.ts';
import type { Envelope, Provenance } from '../envelope.ts';
import type { ErrorChannel } from '../step.ts';
import type { Task } from '../task/task.ts';

/** What the store keeps per window (or per key, for a global window). */
interface Slot {
  key: string | null;
  acc: unknown;
  /** Latest event time in the slot: the result's timestamp. */
  lastTime: number;
}

export interface WindowStreamOptions {
  spec: WindowedAggregate;
  aggregator: Aggregator;
  onError: ErrorChannel;
  /** The task of records that carry none (sources without partitions). */
  single?: Task | undefined;
}

function keyText(key: unknown): string | null {
  if (key === null || key === undefined) return null;
  if (Buffer.isBuffer(key)) return key.toString('utf8');
  return typeof key === 'string' ? key : JSON.stringify(key);
}

export async function loadAggregator(spec: WindowedAggregate, root: string): Promise<Aggregator> {
  const a = spec.aggregate;
  return a.kind === 'module' ? loadAggregatorModule(a.module, a.export, root) : builtinAggregator(a);
}

/** A task's views of its aggregate store, and what stays in memory between records. */
class TaskWindows {
  readonly windows: WindowStore<Slot>;
  readonly table: KeyValueStore<Slot>;
  readonly meta: TaskMeta;
  streamTime: number;
  /** Earliest stream time at which some open window closes; -Infinity until the store has been looked at. */
  nextClose = Number.NEGATIVE_INFINITY;

  constructor(
    readonly task: Task,
    size: number,
  ) {
    const store = task.store(AGGREGATE_STORE);
    this.windows = new WindowStore<Slot>(store, { size });
    this.table = new KeyValueStore<Slot>(store);
    this.meta = new TaskMeta(store);
    this.streamTime = this.meta.streamTime ?? Number.NEGATIVE_INFINITY;
  }
}

export class WindowStream extends Transform {
  readonly #window: WindowSpec;
  readonly #aggregator: Aggregator;
  readonly #checkSerializable: boolean;
  readonly #keyOf: (record: SluiceRecord) => string | null;
  readonly #onError: ErrorChannel;
  readonly #single: Task | undefined;
  readonly #tasks = new Map<Task, TaskWindows>();
  late = 0;

  constructor(options: WindowStreamOptions) {
    super({ objectMode: true, highWaterMark: 256 });
    this.#window = options.spec.window;
    this.#aggregator = options.aggregator;
    this.#checkSerializable = options.spec.aggregate.kind === 'module';
    this.#onError = options.onError;
    this.#single = options.single;
    const field = options.spec.key;
    if (field !== undefined) {
      const get = compileFieldPath(field);
      this.#keyOf = (r) => keyText(get(r.value));
    } else {
      this.#keyOf = (r) => keyText(r.key);
    }
  }

  #of(task: Task): TaskWindows {
    let state = this.#tasks.get(task);
    if (state === undefined) for (const gone of this.#tasks.keys()) if (gone.closed) this.#tasks.delete(gone);
    if (state === undefined) this.#tasks.set(task, (state = new TaskWindows(task, this.#window.kind === 'global' ? Number.POSITIVE_INFINITY : this.#window.sizeMs)));
    return state;
  }

  /** The global window's updates of a task, emitted right before its snapshot (the task manager calls it). */
  readonly beforeSnapshot = (task: Task): void => {
    const state = this.#of(task);
    // Kept with the changes, so a restart knows which windows are closed.
    if (state.streamTime > Number.NEGATIVE_INFINITY && state.streamTime !== state.meta.streamTime) state.meta.streamTime = state.streamTime;
    if (this.#window.kind !== 'global') return;
    for (const key of state.table.changed()) {
      const slot = state.table.get(key);
      if (slot !== undefined) this.#emit(task, slot, undefined, task.emitToken());
    }
  };

  /** The latest event time any of its live tasks has seen; -Infinity before any record. */
  get streamTime(): number {
    let latest = Number.NEGATIVE_INFINITY;
    for (const [task, state] of this.#tasks) if (!task.closed) latest = Math.max(latest, state.streamTime);
    return latest;
  }

  /**
   * Moves the task's stream time on to `time` without a record (a test driver's clock), closing and
   * emitting the windows that passes, as a record of that time would.
   */
  advanceTo(task: Task, time: number): void {
    const state = this.#of(task);
    if (task.closed || time <= state.streamTime) return;
    state.streamTime = time;
    if (state.streamTime < state.nextClose) return;
    // One token for the windows closed now: the task's next commit waits until each is written.
    const token = task.emitToken();
    token.fanOut(this.#emitClosed(state, token));
  }

  /** The aggregate of `key` in a task's store: every window of it (one, for a global window). */
  query(task: Task, key: string): WindowResult<unknown>[] {
    const state = this.#of(task);
    if (this.#window.kind === 'global') {
      const slot = state.table.get(key);
      return slot === undefined ? [] : [{ key: slot.key, start: Number.NEGATIVE_INFINITY, end: Number.POSITIVE_INFINITY, value: this.#aggregator.result(slot.acc) }];
    }
    return [...state.windows.fetch(key)].map(({ start, end, value }) => ({ key: value.key, start, end, value: this.#aggregator.result(value.acc) }));
  }

  override _transform(env: Envelope, _enc: BufferEncoding, callback: TransformCallback): void {
    const task = env.task ?? this.#single;
    if (task === undefined || task.closed) {
      // Its partition was given up while it was on its way: the next owner reads it again.
      callback();
      return;
    }
    const state = this.#of(task);
    const r = env.record;
    let windows;
    let key: string | null;
    try {
      key = this.#keyOf(r);
      windows = windowsFor(r.timestamp, this.#window);
    } catch (err) {
      this.#fail(toSluiceError(err, ErrorCodes.PROCESSOR), env, callback);
      return;
    }
    const open = windows.filter((w) => !isWindowClosed(w, this.#window, state.streamTime));
    if (open.length === 0) {
      this.late++;
      const last = windows[windows.length - 1]!;
      const lateness = state.streamTime - (last.end + (this.#window.kind === 'global' ? 0 : this.#window.graceMs));
      const err = new SluiceError(ErrorCodes.LATE_RECORD, `record at ${new Date(r.timestamp).toISOString()} is ${lateness} ms past the grace period of its window(s)`, {
        context: { lateness, streamTime: state.streamTime },
      });
      this.#fail(err, env, callback);
      return;
    }
    const stored = key ?? '';
    try {
      for (const w of open) {
        const global = this.#window.kind === 'global';
        const slot = global ? state.table.get(stored) : state.windows.get(stored, w.start);
        // A new Slot each time: the store keeps the object put, unserialized, until its next snapshot.
        const next: Slot = {
          key,
          acc: this.#aggregator.add(slot === undefined ? this.#aggregator.init() : slot.acc, r.value),
          lastTime: slot === undefined || r.timestamp > slot.lastTime ? r.timestamp : slot.lastTime,
        };
        // A user's accumulator might not serialize: found now, its record is dead-lettered; found at the
        // snapshot, every commit of the task would fail. Built-in accumulators are plain numbers.
        if (this.#checkSerializable) serialize(next.acc);
        if (global) state.table.put(stored, next);
        else {
          state.windows.put(stored, w.start, next);
          if (slot === undefined) state.nextClose = Math.min(state.nextClose, w.end + this.#window.graceMs);
        }
      }
    } catch (err) {
      this.#fail(toSluiceError(err, ErrorCodes.PROCESSOR), env, callback);
      return;
    }
    let emitted = 0;
    if (r.timestamp > state.streamTime) {
      state.streamTime = r.timestamp;
      if (state.streamTime >= state.nextClose) emitted = this.#emitClosed(state, env.token, env.origin);
    }
    // The record now stands for its closed windows' results and one share held by the store.
    env.token?.fanOut(emitted + 1);
    task.hold(env.token, env.origin.topic, env.origin.offset);
    callback();
  }

  override _flush(callback: TransformCallback): void {
    // Open windows stay in their stores: a stop is not the end of event time. The last
    // commit follows, so a global window's updates go out now, while the stream still flows.
    for (const task of this.#tasks.keys()) if (!task.closed) this.beforeSnapshot(task);
    callback();
  }

  #fail(error: SluiceError, env: Envelope, callback: TransformCallback): void {
    this.#onError(error, env).then(() => callback(), callback);
  }

  /** Emits and deletes every window of the task that stream time has closed, oldest first; returns how many. */
  #emitClosed(state: TaskWindows, token: Envelope['token'], origin?: Provenance): number {
    if (this.#window.kind === 'global') return 0;
    const { sizeMs, graceMs } = this.#window;
    // Closed when start + size + grace <= stream time.
    const closed = [...state.windows.closable(state.streamTime - sizeMs - graceMs + 1)];
    for (const { key, start, value } of closed) {
      this.#emit(state.task, value, { start, end: start + sizeMs }, token, origin);
      state.windows.put(key, start, undefined);
    }
    const first = state.windows.closable(Number.POSITIVE_INFINITY).next();
    state.nextClose = first.done === true ? Number.POSITIVE_INFINITY : first.value.start + sizeMs + graceMs;
    return closed.length;
  }

  #emit(task: Task, slot: Slot, window: { start: number; end: number } | undefined, token: Envelope['token'], origin?: Provenance): void {
    const value = this.#aggregator.result(slot.acc);
    const result: WindowResult<unknown> | { key: string | null; value: unknown } =
      window === undefined ? { key: slot.key, value } : { key: slot.key, start: window.start, end: window.end, value };
    this.push({
      record: { key: slot.key, value: result, headers: {}, timestamp: slot.lastTime },
      token,
      task,
      origin: origin ?? { rawKey: slot.key, rawValue: null, rawHeaders: {}, timestamp: slot.lastTime },
    } satisfies Envelope);
  }
}
