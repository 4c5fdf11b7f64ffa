/**
 * `mode: overwrite` on a file sink means "this run's output only": the file
 * is emptied once, when `sluice run` starts the stage's first life, never by
 * the stage itself, so a stage instance that crashes and is restarted within
 * the run appends and keeps what it had acknowledged.
 */
import { truncate } from 'node:fs/promises';
import type { TopologyNode } from '../../topology/index.ts';

/** Empties the overwrite-mode sink files of `nodes` (those that exist) and returns their paths. */
export async function emptyOverwrittenFiles(nodes: readonly TopologyNode[]): Promise<string[]> {
  const emptied: string[] = [];
  for (const { output } of nodes) {
    if (output.kind !== 'file' || output.mode !== 'overwrite') continue;
    try {
      await truncate(output.path, 0);
      emptied.push(output.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return emptied;
}
