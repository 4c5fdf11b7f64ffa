/** `sluice run` as a child process of the project's binary, for tests that stop it (SIGTERM, SIGKILL) and start it again. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';

const bin = fileURLToPath(new URL('../../../bin/sluice.js', import.meta.url));

export interface SluiceProcess {
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill: (signal: NodeJS.Signals) => void;
  /** What it wrote to stderr so far. */
  log: () => string;
}

/** Spawns `sluice ARGS...` (LOG_LEVEL=warn); it is in `live` until it exits, so a failed test can kill what it left. */
export function spawnSluice(args: readonly string[], live: Set<{ kill: (signal: NodeJS.Signals) => void }>): SluiceProcess {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LOG_LEVEL: 'warn' } });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    }),
  );
  live.add(child);
  return { exited, kill: (signal) => child.kill(signal), log: () => log };
}

/** A set for spawnSluice whose processes still running when a test ends are killed: a failed test must not leave its runs behind to load the machine for the others. */
export function killedAfterEach(): Set<{ kill: (signal: NodeJS.Signals) => void }> {
  const live = new Set<{ kill: (signal: NodeJS.Signals) => void }>();
  afterEach(() => {
    for (const child of live) child.kill('SIGKILL');
    live.clear();
  });
  return live;
}
