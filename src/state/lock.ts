import { randomUUID } from 'node:crypto';
import { linkSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ErrorCodes, SluiceError } from '../core/index.ts';

/**
 * An exclusive hold on a store directory. LMDB itself lets many processes share an environment,
 * which for a task's store means two owners writing one checkpoint: the second opener must fail.
 *
 * The lock file names its holder by pid and, where /proc exists, the process's start time, so a pid
 * reused after a crash (a restarted container is often pid 1 again) is not taken for the holder.
 * It guards processes of one pid namespace: two containers sharing a volume are not told apart.
 */
export interface StoreLock {
  release(): void;
}

export const LOCK_FILE = 'sluice.lock';

interface Holder {
  pid: number;
  start: string | null;
}

/** Lock files this process holds: a second open of the same directory here is refused too. */
const held = new Set<string>();

export function lockStoreDir(dir: string): StoreLock {
  const path = resolve(join(dir, LOCK_FILE));
  if (held.has(path)) throw lockedError(dir, process.pid);
  const me: Holder = { pid: process.pid, start: startTime(process.pid) };
  // Written aside and linked into place, so no reader ever sees a half-written lock file.
  const temp = `${path}.${process.pid}.${randomUUID()}`;
  writeFileSync(temp, JSON.stringify(me));
  try {
    takeOver(path, temp, dir);
  } finally {
    rmSync(temp, { force: true });
  }
  held.add(path);
  return {
    release() {
      held.delete(path);
      const holder = readHolder(path);
      if (holder?.pid === me.pid && holder.start === me.start) rmSync(path, { force: true });
    },
  };
}

function takeOver(path: string, temp: string, dir: string): void {
  // A few rounds only: each clears a stale lock; one that keeps coming back is someone else's.
  for (let round = 0; round < 3; round++) {
    try {
      linkSync(temp, path);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = readHolder(path);
    if (holder !== undefined && isAlive(holder)) throw lockedError(dir, holder.pid);
    rmSync(path, { force: true });
  }
  throw lockedError(dir, readHolder(path)?.pid);
}

function readHolder(path: string): Holder | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<Holder>;
    if (typeof parsed.pid !== 'number') return undefined;
    return { pid: parsed.pid, start: typeof parsed.start === 'string' ? parsed.start : null };
  } catch {
    return undefined;
  }
}

function isAlive(holder: Holder): boolean {
  // Our own pid in a file this process did not write (it is not in `held`): a previous run's.
  if (holder.pid === process.pid) return false;
  try {
    process.kill(holder.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const now = startTime(holder.pid);
  return holder.start === null || now === null || now === holder.start;
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot); null where there is no /proc. */
function startTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count fields after it.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function lockedError(dir: string, pid: number | undefined): SluiceError {
  return new SluiceError(
    ErrorCodes.STATE_LOCKED,
    `state store ${dir} is held by ${pid === process.pid ? 'this process' : `process ${pid ?? '(unknown)'}`}`,
    { context: { path: dir, ...(pid !== undefined ? { pid } : {}) } },
  );
}
