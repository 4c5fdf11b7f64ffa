/**
 * Restoring a task's store from its changelog partition before the task
 * processes its first record: from the local copy's checkpoint (only the
 * tail since the last commit) or, without one, from the changelog's start.
 * A checkpoint the changelog cannot serve (the topic was recreated, or its
 * start was deleted) makes the local copy untrustworthy: it is wiped and the
 * whole changelog read.
 *
 * A table's changelog is its own source topic, as Kafka Streams restores a
 * source-topic changelog: only up to `until`, the group's committed offset
 * (the checkpoint when further). What follows is read with the stream, in
 * timestamp order (task-sync.ts), so a stream record meets the rows of its
 * time, not the topic's latest. A first start restores nothing.
 */
import type { Logger } from '../../core/index.ts';
import type { ChangelogEntry } from '../../state/index.ts';
import type { Transport } from '../../transport/index.ts';
import type { TaskStore } from './task.ts';

export interface RestoreProgress {
  store: string;
  task: number;
  restored: number;
  /** Changes still to read, as far as the end offset known at the start tells. */
  remaining: number;
  startedAt: number;
}

export async function restoreStore(
  transport: Transport,
  task: number,
  target: TaskStore,
  logger: Logger,
  onProgress: (progress: RestoreProgress) => void,
  /** Restore no further (a table's committed offset); null: nothing beyond the checkpoint. Default the changelog's end. */
  until?: bigint | null,
): Promise<RestoreProgress> {
  const started = Date.now();
  const ends = await transport.endOffsets(target.changelog);
  const top = Number(ends.find((e) => e.partition === task)?.offset ?? '0');
  const progress: RestoreProgress = { store: target.name, task, restored: 0, remaining: 0, startedAt: started };
  const read = async (from: number | undefined) => {
    // Of the copy read from: after a wipe, there is no checkpoint to keep.
    const bound = until === undefined ? undefined : Math.max(until === null ? 0 : Number(until), from ?? 0);
    const end = bound === undefined ? top : Math.min(top, bound);
    progress.remaining = Math.max(0, end - (from ?? 0));
    onProgress(progress);
    const to = bound === undefined ? {} : { to: String(end) };
    return transport.readPartitions(target.changelog, [{ partition: task, from: from === undefined ? null : String(from), ...to }], async (records) => {
      const entries: ChangelogEntry[] = [];
      for (const r of records) if (r.key !== null) entries.push({ key: r.key, value: r.value });
      const next = Number(records[records.length - 1]!.offset) + 1;
      await target.store.restore(entries, next);
      progress.restored += records.length;
      progress.remaining = Math.max(0, end - next);
      onProgress(progress);
    });
  };
  let [result] = await read(target.store.checkpoint);
  if (result?.outOfRange === true) {
    logger.warn({ store: target.name, task, checkpoint: target.store.checkpoint, changelog: target.changelog }, 'the changelog does not hold the local copy’s checkpoint; wiping the copy and restoring it whole');
    await target.store.wipe();
    [result] = await read(undefined);
  }
  target.next = Math.max(Number(result?.end ?? 0), target.store.checkpoint ?? 0);
  progress.remaining = 0;
  onProgress(progress);
  if (progress.restored > 0) {
    const ms = Date.now() - started;
    logger.info({ store: target.name, task, restored: progress.restored, ms, perSecond: Math.round((progress.restored * 1000) / Math.max(1, ms)) }, 'store restored from its changelog');
  }
  return progress;
}
