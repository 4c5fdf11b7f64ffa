/**
 * At-least-once offset tracking. An input offset may be committed only once
 * every record derived from it (zero after a filter, many after a flatMap) has
 * been acknowledged downstream. Each partition keeps the offsets it has handed
 * out, in read order; the commit position is one past the last offset of the
 * contiguous completed prefix. Offsets within a partition need not be dense
 * (compaction, transaction markers), only increasing.
 *
 * Once everything the consumer delivered of a partition is finished, the
 * commit position is the consumer's own (`ReadPosition.next`): past the
 * transaction markers and aborted records after the last record, which are
 * never delivered. Without that, the committed offset of a topic written by
 * transactions stops one marker short of its end, and nothing that waits
 * for the end (caught up, lag 0) ever sees it.
 */
import type { ReadPosition } from '../transport/index.ts';

/** Where the consumer reads a partition now, if it knows. */
export type PositionSource = (topic: string, partition: number) => ReadPosition | undefined;

/**
 * What an envelope carries to say when the input it came from is finished
 * with: offset tokens for topic inputs, and the composite token of a window
 * result, which finishes every record the result was built from.
 */
export interface Completion {
  /** The record fanned out: `count` outputs replace the one it stood for (0 drops it). */
  fanOut(count: number): void;
  /** One output (or the record itself) was acknowledged, or routed to the dead-letter topic. */
  done(): void;
  /** Outputs still to be finished. */
  readonly remaining: number;
  /**
   * True once the partition the input came from is being given up: its
   * outputs must not be committed by this instance any more, since the next
   * owner re-reads the input from the committed offset.
   */
  readonly revoked?: boolean;
}

/** One input record's claim on its partition's watermark; settled when all its outputs are done. */
export class OffsetToken implements Completion {
  /** Outputs still in flight. Starts at 1: the record itself until a processor says otherwise. */
  private pending = 1;

  constructor(
    private readonly watermark: PartitionWatermark,
    private readonly slot: number,
    readonly offset: bigint,
  ) {}

  fanOut(count: number): void {
    this.pending += count - 1;
    if (this.pending === 0) this.watermark.settle(this.slot);
  }

  done(): void {
    if (this.pending <= 0) return;
    if (--this.pending === 0) this.watermark.settle(this.slot);
  }

  get settled(): boolean {
    return this.pending <= 0;
  }

  get remaining(): number {
    return Math.max(0, this.pending);
  }

  get revoked(): boolean {
    return this.watermark.revoked;
  }
}

export class PartitionWatermark {
  // A growing window of offsets in read order; `head` is the first unsettled slot.
  private offsets: bigint[] = [];
  private settled: boolean[] = [];
  private head = 0;
  private base = 0; // slot number of offsets[0]
  private committed: bigint | undefined;
  /**
   * Unsettled records, wherever they stand: a record settled behind an unsettled one (dead-lettered
   * while an earlier one waits in a store for the next commit) is done, though the head waits.
   */
  private unsettled = 0;
  /** One watermark per assignment: a partition assigned again gets a new one, so this flag never clears. */
  revoked = false;

  constructor(
    readonly topic: string,
    readonly partition: number,
    private readonly position: () => ReadPosition | undefined = () => undefined,
  ) {}

  /** Registers the next record read from the partition and returns its token. */
  track(offset: bigint | string): OffsetToken {
    const value = typeof offset === 'bigint' ? offset : BigInt(offset);
    const last = this.lastTracked;
    if (last !== undefined && value <= last) {
      throw new RangeError(`offset ${value} of ${this.topic}[${this.partition}] is not after ${last}`);
    }
    const slot = this.base + this.offsets.length;
    this.offsets.push(value);
    this.settled.push(false);
    this.unsettled++;
    return new OffsetToken(this, slot, value);
  }

  /** @internal called by OffsetToken */
  settle(slot: number): void {
    const i = slot - this.base;
    if (i < 0 || i >= this.settled.length || this.settled[i]) return;
    this.settled[i] = true;
    this.unsettled--;
    while (this.head < this.settled.length && this.settled[this.head]) this.head++;
    // Drop the settled prefix now and then so the arrays stay as small as the in-flight window.
    if (this.head > 1024 && this.head * 2 > this.offsets.length) this.compact();
  }

  /** The offset of the last record tracked (compaction keeps it). */
  get lastTracked(): bigint | undefined {
    return this.offsets.length > 0 ? this.offsets[this.offsets.length - 1] : undefined;
  }

  /** Records read but not yet settled. */
  get inFlight(): number {
    return this.unsettled;
  }

  /**
   * The offset to commit (last contiguous settled + 1), or undefined when nothing
   * new has settled since the last `markCommitted`.
   */
  committable(): bigint | undefined {
    let next = this.head === 0 ? undefined : this.offsets[this.head - 1]! + 1n;
    const past = this.#pastEverythingRead();
    if (past !== undefined && (next === undefined || past > next)) next = past;
    if (next === undefined) return undefined;
    return this.committed !== undefined && next <= this.committed ? undefined : next;
  }

  /**
   * The consumer's next offset, when every record it delivered has been
   * tracked here and settled: its last delivered record is the last one
   * tracked (none delivered, none tracked), and nothing is in flight.
   */
  #pastEverythingRead(): bigint | undefined {
    if (this.head < this.offsets.length) return undefined;
    const at = this.position();
    if (at === undefined) return undefined;
    const last = this.offsets[this.offsets.length - 1];
    const delivered = at.lastDelivered === null ? undefined : BigInt(at.lastDelivered);
    return delivered === last ? BigInt(at.next) : undefined;
  }

  markCommitted(next: bigint): void {
    if (this.committed === undefined || next > this.committed) this.committed = next;
  }

  private compact(): void {
    this.offsets = this.offsets.slice(this.head - 1);
    this.settled = this.settled.slice(this.head - 1);
    this.base += this.head - 1;
    this.head = 1;
  }
}
