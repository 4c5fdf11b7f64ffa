/**
 * The pure part of a windowed stream–stream join, for one task: which buffered records a new one
 * pairs with, when a buffered record's window closes, and which unmatched records a left or outer
 * join then emits with null for the other side. The stream around it (stream-join-step.ts) does
 * the envelopes, tokens and dead letters.
 *
 * Semantics (Kafka Streams' JoinWindows.ofTimeDifferenceAndGrace, with its 3.1+ "spurious-result-free"
 * left and outer joins):
 *
 * - A left record at t1 and a right record at t2 with the same key pair up when |t1 - t2| <= within.
 *   The pair is emitted when the second of them arrives, with the later of the two times.
 * - Stream time is the largest event time the task has seen on either side. A record's window closes
 *   once stream time > t + within + grace: it leaves the store then, and an unmatched one is emitted
 *   with null for the other side (left records for `left` and `outer`, right records too for
 *   `outer`). A record whose own window has closed when it arrives is late, and dead-lettered.
 * - A record that arrives at most `grace` behind stream time finds every partner still in the store
 *   (a closed one is more than `within` before it), so results are those of the same join over all
 *   the records at once. One later than that, but not late, joins with the partners still there: a
 *   partner already emitted unmatched is gone, so a null result is never followed by a match.
 *
 * Both sides live in one window store (keys `l:` and `r:`): one changelog partition per task then
 * carries both sides and the task's input positions in each write, so a restart never finds one
 * side ahead of the other.
 *
 * The store holds buckets `within` wide per key (start = floor(t / within) * within), each the list of
 * that key's records in it: a lookup reads the three buckets that can hold a match. Which records close
 * next is kept in memory (CloseQueue), built by one walk of the store when the task starts: a walk per
 * close would flush the store's write cache each time.
 */
import type { StreamJoinSpec } from '../../processors/index.ts';
import { TaskMeta, WindowStore, type CachedStore } from '../../state/index.ts';

export type JoinSide = 'left' | 'right';

/** A buffered record. `m`: it has paired at least once, so its window's close emits nothing for it. */
interface Buffered {
  readonly t: number;
  readonly v: unknown;
  readonly m: boolean;
}

/** A result: a pair, or (left, outer) an unmatched record with null for the other side. */
export interface JoinResult {
  readonly key: string;
  readonly timestamp: number;
  readonly left: unknown;
  readonly right: unknown;
}

const PREFIX: Readonly<Record<JoinSide, string>> = { left: 'l:', right: 'r:' };

interface Waiting {
  readonly t: number;
  /** The bucket's key in the store, and its start. */
  readonly stored: string;
  readonly start: number;
}

/**
 * The buffered records in the order their windows close (by time). Records come mostly in time order,
 * so an insert is nearly always an append, and closing takes from the front.
 */
class CloseQueue {
  #items: Waiting[] = [];
  #head = 0;

  push(item: Waiting): void {
    let lo = this.#head;
    let hi = this.#items.length;
    if (hi === lo || this.#items[hi - 1]!.t <= item.t) {
      this.#items.push(item);
      return;
    }
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#items[mid]!.t <= item.t) lo = mid + 1;
      else hi = mid;
    }
    this.#items.splice(lo, 0, item);
  }

  get earliest(): number {
    return this.#items[this.#head]?.t ?? Number.POSITIVE_INFINITY;
  }

  /** Removes and returns the records with t < bound. */
  takeBefore(bound: number): Waiting[] {
    const from = this.#head;
    while (this.#head < this.#items.length && this.#items[this.#head]!.t < bound) this.#head++;
    const taken = this.#items.slice(from, this.#head);
    if (this.#head > 4096 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return taken;
  }
}

export class TaskJoin {
  readonly #spec: StreamJoinSpec;
  readonly #buckets: WindowStore<Buffered[]>;
  readonly #meta: TaskMeta;
  readonly #emitsUnmatched: Readonly<Record<JoinSide, boolean>>;
  streamTime: number;
  /** Built from the store on first use: what a previous owner left there is waiting too. */
  #queue: CloseQueue | undefined;

  constructor(spec: StreamJoinSpec, store: CachedStore) {
    this.#spec = spec;
    this.#buckets = new WindowStore<Buffered[]>(store, { size: spec.withinMs });
    this.#meta = new TaskMeta(store);
    this.streamTime = this.#meta.streamTime ?? Number.NEGATIVE_INFINITY;
    this.#emitsUnmatched = { left: spec.kind !== 'inner', right: spec.kind === 'outer' };
  }

  /** How far past its window's close a record at `t` arrives; 0 or less when it may still join. */
  lateness(t: number): number {
    return this.streamTime - (t + this.#spec.withinMs + this.#spec.graceMs);
  }

  /**
   * Adds a record that is not late, and returns its pairs, then the unmatched records whose windows
   * the stream time it brings closes (oldest first).
   */
  add(side: JoinSide, key: string, t: number, value: unknown): JoinResult[] {
    const other: JoinSide = side === 'left' ? 'right' : 'left';
    const w = this.#spec.withinMs;
    const out: JoinResult[] = [];
    const first = bucketOf(t - w, w);
    for (let start = first; start <= t + w; start += w) {
      const bucket = this.#buckets.get(PREFIX[other] + key, start);
      if (bucket === undefined) continue;
      let marked: Buffered[] | undefined;
      for (let i = 0; i < bucket.length; i++) {
        const e = bucket[i]!;
        if (Math.abs(e.t - t) > w) continue;
        const [left, right] = side === 'left' ? [value, e.v] : [e.v, value];
        out.push({ key, timestamp: Math.max(t, e.t), left, right });
        if (!e.m && this.#emitsUnmatched[other]) (marked ??= bucket.slice())[i] = { t: e.t, v: e.v, m: true };
      }
      if (marked !== undefined) this.#buckets.put(PREFIX[other] + key, start, marked);
    }
    const own = PREFIX[side] + key;
    const start = bucketOf(t, w);
    const held = this.#buckets.get(own, start);
    // A new list each time: the store keeps the object put, unserialized, until its next snapshot.
    const queue = this.#waiting();
    this.#buckets.put(own, start, [...(held ?? []), { t, v: value, m: out.length > 0 }]);
    queue.push({ t, stored: own, start });
    if (t > this.streamTime) out.push(...this.advanceTo(t));
    return out;
  }

  /** Moves stream time on to `time` (no earlier) and returns the unmatched records whose windows close. */
  advanceTo(time: number): JoinResult[] {
    if (time > this.streamTime) this.streamTime = time;
    const queue = this.#waiting();
    // A record at t is closed when t < stream time - within - grace.
    const bound = this.streamTime - this.#spec.withinMs - this.#spec.graceMs;
    if (!(queue.earliest < bound)) return [];
    const buckets = new Map<string, { stored: string; start: number }>();
    for (const w of queue.takeBefore(bound)) buckets.set(`${w.start}/${w.stored}`, w);
    const out: JoinResult[] = [];
    for (const { stored, start } of buckets.values()) {
      const value = this.#buckets.get(stored, start);
      if (value === undefined) continue;
      const side: JoinSide = stored.startsWith(PREFIX.left) ? 'left' : 'right';
      const key = stored.slice(PREFIX[side].length);
      const kept = value.filter((e) => e.t >= bound);
      for (const e of value) {
        if (e.t >= bound || e.m || !this.#emitsUnmatched[side]) continue;
        out.push({ key, timestamp: e.t, left: side === 'left' ? e.v : null, right: side === 'right' ? e.v : null });
      }
      this.#buckets.put(stored, start, kept.length === 0 ? undefined : kept);
    }
    return out.sort((a, b) => a.timestamp - b.timestamp);
  }

  /** Keeps the stream time with the task's next changelog write, so a restart closes windows where this run would have. */
  saveStreamTime(): void {
    if (this.streamTime > Number.NEGATIVE_INFINITY && this.streamTime !== this.#meta.streamTime) this.#meta.streamTime = this.streamTime;
  }

  #waiting(): CloseQueue {
    if (this.#queue !== undefined) return this.#queue;
    const queue = new CloseQueue();
    for (const { key, start, value } of this.#buckets.closable(Number.POSITIVE_INFINITY)) for (const e of value) queue.push({ t: e.t, stored: key, start });
    return (this.#queue = queue);
  }
}

function bucketOf(t: number, width: number): number {
  return Math.floor(t / width) * width;
}
