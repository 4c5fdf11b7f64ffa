/**
 * Restoring a task's store from its changelog partition before the task
 * processes its first record: from the local copy's checkpoint (only the
 * tail since the last commit) or, without one, from the changelog's start.
 * A checkpoint the changelog cannot serve (the topic was recreated, or its
 * start was deleted) makes the local copy untrustworthy: it is wiped and the
 * whole changelog read.
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
): Promise<RestoreProgress> {
  const started = Date.now();
  const ends = await transport.endOffsets(target.changelog);
  const end = Number(ends.find((e) => e.partition === task)?.offset ?? '0');
  const progress: RestoreProgress = { store: target.name, task, restored: 0, remaining: 0, startedAt: started };
  const read = async (from: number | undefined) => {
    progress.remaining = Math.max(0, end - (from ?? 0));
    onProgress(progress);
    return transport.readPartitions(target.changelog, [{ partition: task, from: from === undefined ? null : String(from) }], async (records) => {
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
