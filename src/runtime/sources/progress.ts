/**
 * A finite source's progress, committed as a topic source commits offsets:
 * every record read gets a token from a `PartitionWatermark` (offsets.ts),
 * keyed by the position just after it (less one: the watermark's commit
 * point is one past the last settled offset). The committed position is
 * the end of the contiguous prefix of records whose outputs are all
 * acknowledged downstream, saved every `commitIntervalMs` and on a clean
 * stop, never after a crash; so a restart re-reads at most what was in
 * flight (at-least-once) and a clean stop re-reads nothing.
 */
import type { Logger } from '../../core/index.ts';
import { PartitionWatermark, type Completion } from '../offsets.ts';
import type { SourcePosition } from './position.ts';

/** Where positions are kept: the source's compacted topic (source-offsets.ts). */
export interface PositionStore {
  /** The last position saved, undefined when none (or an unusable one, logged). */
  load(): Promise<SourcePosition | undefined>;
  /** Resolves once the position is durable. */
  save(position: SourcePosition): Promise<void>;
}

export interface SourceProgressOptions {
  store: PositionStore;
  /** The position to store for `next` (bytes or records before the next to read) after line `line`. */
  describe: (next: number, line: number) => Promise<SourcePosition>;
  logger: Logger;
  /** Names the source in the watermark's errors: the file path, or `generator`. */
  name: string;
  commitIntervalMs?: number;
}

export class SourceProgress {
  readonly #options: SourceProgressOptions;
  readonly #mark: PartitionWatermark;
  /** Line numbers of positions not committed yet, by position, in read order. */
  readonly #lines = new Map<bigint, number>();
  #committing: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;

  constructor(options: SourceProgressOptions) {
    this.#options = options;
    this.#mark = new PartitionWatermark(options.name, 0);
  }

  /** Starts the periodic commits. */
  start(): void {
    this.#timer = setInterval(() => void this.commit(), this.#options.commitIntervalMs ?? 1_000);
    this.#timer.unref();
  }

  /** The token of a record read; `next` is the position right after it, `line` its number. */
  track(next: number, line: number): Completion {
    const at = BigInt(next);
    this.#lines.set(at, line);
    return this.#mark.track(at - 1n);
  }

  /** Stores `position` as it is (a `--from-start` run resets the stored one before reading). */
  async reset(next: number, line: number): Promise<void> {
    await this.#options.store.save(await this.#options.describe(next, line));
  }

  /** Saves the settled position, if it moved; serialised so positions never go backwards. */
  commit(): Promise<void> {
    this.#committing = this.#committing.then(async () => {
      const next = this.#mark.committable();
      if (next === undefined) return;
      const line = this.#lines.get(next)!;
      try {
        await this.#options.store.save(await this.#options.describe(Number(next), line));
      } catch (err) {
        this.#options.logger.warn({ err, source: this.#options.name, position: Number(next) }, 'saving the source position failed; will retry at the next interval');
        return;
      }
      this.#mark.markCommitted(next);
      for (const at of this.#lines.keys()) {
        if (at > next) break;
        this.#lines.delete(at);
      }
    });
    return this.#committing;
  }

  /** Clean stop, after the pipeline drained: the last commit. */
  async close(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    await this.commit();
  }

  /** After a crash: nothing more is stored; the next run re-reads what was in flight. */
  abandon(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
  }
}
