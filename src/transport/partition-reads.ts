/**
 * The part of `Transport.readPartitions` every Kafka driver shares: which
 * partitions there is anything to read of, given where each read starts and
 * the partitions' first and end offsets as of the call.
 */
import { ErrorCodes, SluiceError } from '../core/index.ts';
import type { PartitionRead, PartitionReadEnd } from './types.ts';

export interface ReadPlan {
  /** Reads already finished: nothing to read, or a start out of range. */
  done: PartitionReadEnd[];
  /** Partition → [next offset to read, end]. */
  pending: Map<number, [bigint, bigint]>;
}

export function planReads(topic: string, reads: readonly PartitionRead[], ranges: ReadonlyArray<{ partition: number; low: string; high: string }>): ReadPlan {
  const done: PartitionReadEnd[] = [];
  const pending = new Map<number, [bigint, bigint]>();
  for (const { partition, from, to } of reads) {
    const range = ranges.find((o) => o.partition === partition);
    if (range === undefined) throw new SluiceError(ErrorCodes.CONSUME, `topic ${topic} has no partition ${partition}`, { context: { topic, partition } });
    const [low, high] = [BigInt(range.low), BigInt(range.high)];
    const start = from === null ? low : BigInt(from);
    if (start > high || start < low) {
      done.push({ partition, end: range.high, outOfRange: true });
      continue;
    }
    const bound = to === undefined ? high : BigInt(to);
    const end = bound < start ? start : bound > high ? high : bound;
    if (start === end) done.push({ partition, end: end.toString(), outOfRange: false });
    else pending.set(partition, [start, end]);
  }
  return { done, pending };
}
