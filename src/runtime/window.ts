/**
 * The `window:` step: aggregates records per key over tumbling, hopping or
 * global windows on event time (`record.timestamp`).
 *
 * - Stream time is the largest event time seen, per input partition (as in a
 *   Kafka Streams task): partitions are read at their own pace, so one
 *   partition's progress must not make another's records late. A tumbling or hopping window
 *   is emitted, final, once stream time passes its end plus grace; a record
 *   arriving for windows already closed is late and goes to the dead-letter
 *   channel with its lateness. When the input ends (a bounded run) every open
 *   window is emitted.
 * - A global window never closes: the aggregates of keys that changed are
 *   emitted every `flushIntervalMs` and when the input ends, as Kafka Streams
 *   emits table updates on commit.
 * - At-least-once: a record's input offset is not committed while a window
 *   holding it is open. Each result carries a composite token that finishes
 *   every record it was built from once the result is acknowledged, so after a
 *   crash the open windows are rebuilt from the uncommitted input.
 *
 * State lives in memory for this stage instance (see the README's limits).
 */
import { Transform, type TransformCallback } from 'node:stream';
import { ErrorCodes, SluiceError, toSluiceError, type SluiceRecord } from '../core/index.ts';
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
} from '../processors/index.ts';
import type { Envelope } from './envelope.ts';
import { CompositeCompletion, type Completion } from './offsets.ts';
import type { ErrorChannel } from './step.ts';

interface Slot {
  key: string | null;
  start: number;
  end: number;
  acc: unknown;
  /** Latest event time in the slot: the result's timestamp. */
  lastTime: number;
  /** Inputs whose commit waits for this slot's next emission. */
  tokens: Completion[];
  changed: boolean;
  origin: Envelope['origin'];
}

export interface WindowStreamOptions {
  spec: WindowedAggregate;
  aggregator: Aggregator;
  onError: ErrorChannel;
  /** Global windows: how often changed aggregates are emitted. Default 1,000 ms. */
  flushIntervalMs?: number;
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

/** The windows of one input partition. */
class PartitionState {
  /** Open slots by `start \0 key`. */
  readonly slots = new Map<string, Slot>();
  streamTime = Number.NEGATIVE_INFINITY;
  /** Earliest stream time at which some open slot closes. */
  nextClose = Number.POSITIVE_INFINITY;
}

export class WindowStream extends Transform {
  readonly #window: WindowSpec;
  readonly #aggregator: Aggregator;
  readonly #keyOf: (record: SluiceRecord) => string | null;
  readonly #onError: ErrorChannel;
  readonly #partitions = new Map<number, PartitionState>();
  #timer: NodeJS.Timeout | undefined;
  late = 0;

  constructor(options: WindowStreamOptions) {
    super({ objectMode: true, highWaterMark: 256 });
    this.#window = options.spec.window;
    this.#aggregator = options.aggregator;
    this.#onError = options.onError;
    const field = options.spec.key;
    if (field !== undefined) {
      const get = compileFieldPath(field);
      this.#keyOf = (r) => keyText(get(r.value));
    } else {
      this.#keyOf = (r) => keyText(r.key);
    }
    if (this.#window.kind === 'global') {
      this.#timer = setInterval(() => this.#emitChanged(), options.flushIntervalMs ?? 1_000);
      this.#timer.unref();
    }
  }

  /** Windows open now, for tests and metrics. */
  get openWindows(): number {
    let n = 0;
    for (const p of this.#partitions.values()) n += p.slots.size;
    return n;
  }

  #state(partition: number | undefined): PartitionState {
    const id = partition ?? 0;
    let state = this.#partitions.get(id);
    if (state === undefined) {
      state = new PartitionState();
      this.#partitions.set(id, state);
    }
    return state;
  }

  override _transform(env: Envelope, _enc: BufferEncoding, callback: TransformCallback): void {
    const r = env.record;
    const state = this.#state(r.partition);
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
      const err = new SluiceError(
        ErrorCodes.LATE_RECORD,
        `record at ${new Date(r.timestamp).toISOString()} is ${lateness} ms past the grace period of its window(s)`,
        { context: { lateness, streamTime: state.streamTime } },
      );
      this.#fail(err, env, callback);
      return;
    }

    const added: Slot[] = [];
    try {
      for (const w of open) {
        const id = `${w.start}\u0000${key ?? ''}`;
        let slot = state.slots.get(id);
        const acc = this.#aggregator.add(slot === undefined ? this.#aggregator.init() : slot.acc, r.value);
        if (slot === undefined) {
          slot = { key, start: w.start, end: w.end, acc, lastTime: r.timestamp, tokens: [], changed: true, origin: env.origin };
          state.slots.set(id, slot);
          if (this.#window.kind !== 'global') state.nextClose = Math.min(state.nextClose, w.end + this.#window.graceMs);
        } else {
          slot.acc = acc;
          slot.changed = true;
          if (r.timestamp > slot.lastTime) slot.lastTime = r.timestamp;
        }
        added.push(slot);
      }
    } catch (err) {
      this.#fail(toSluiceError(err, ErrorCodes.PROCESSOR), env, callback);
      return;
    }
    if (env.token !== undefined) {
      // The record now stands in `added.length` windows; each emission finishes one share.
      env.token.fanOut(added.length);
      for (const slot of added) slot.tokens.push(env.token);
    }

    if (r.timestamp > state.streamTime) {
      state.streamTime = r.timestamp;
      if (state.streamTime >= state.nextClose) this.#emitClosed(state);
    }
    callback();
  }

  override _flush(callback: TransformCallback): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    if (this.#window.kind === 'global') {
      this.#emitChanged();
    } else {
      for (const state of this.#partitions.values()) {
        const rest = [...state.slots.values()].sort((a, b) => a.start - b.start);
        for (const slot of rest) this.#emit(slot);
      }
    }
    this.#partitions.clear();
    callback();
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    callback(err);
  }

  #fail(error: SluiceError, env: Envelope, callback: TransformCallback): void {
    this.#onError(error, env).then(() => callback(), callback);
  }

  #emitClosed(state: PartitionState): void {
    const closed: Slot[] = [];
    let next = Number.POSITIVE_INFINITY;
    for (const [id, slot] of state.slots) {
      if (isWindowClosed(slot, this.#window, state.streamTime)) {
        closed.push(slot);
        state.slots.delete(id);
      } else if (this.#window.kind !== 'global') {
        next = Math.min(next, slot.end + this.#window.graceMs);
      }
    }
    state.nextClose = next;
    closed.sort((a, b) => a.start - b.start);
    for (const slot of closed) this.#emit(slot);
  }

  #emitChanged(): void {
    for (const state of this.#partitions.values()) {
      for (const slot of state.slots.values()) {
        if (!slot.changed) continue;
        this.#emit(slot);
        slot.changed = false;
        slot.tokens = [];
      }
    }
  }

  #emit(slot: Slot): void {
    const value: WindowResult<unknown> = {
      key: slot.key,
      start: slot.start,
      end: slot.end,
      value: this.#aggregator.result(slot.acc),
    };
    const windowed = this.#window.kind !== 'global';
    this.push({
      record: {
        key: slot.key,
        value: windowed ? value : { key: slot.key, value: value.value },
        headers: {},
        timestamp: slot.lastTime,
      },
      token: slot.tokens.length > 0 ? new CompositeCompletion(slot.tokens) : undefined,
      origin: slot.origin,
    } satisfies Envelope);
  }
}
