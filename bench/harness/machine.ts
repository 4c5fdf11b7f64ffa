/** What a result ran on: every line in bench/results says so, since the same code gives other figures elsewhere. */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface Machine {
  cores: number;
  cpu: string;
  memoryGiB: number;
  node: string;
  /** The broker, for scenarios that use one. */
  kafka?: string;
  /** One-minute load average when the scenario started: other work on the cores makes the figures lower. */
  load: number;
  commit: string;
  /** Uncommitted changes in the tree when it ran. */
  dirty: boolean;
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

export function machine(kafka?: string): Machine {
  return {
    cores: cpus().length,
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    ...(kafka !== undefined ? { kafka } : {}),
    load: Number((loadavg()[0] ?? 0).toFixed(2)),
    commit: git(['rev-parse', '--short', 'HEAD']) || 'unknown',
    dirty: git(['status', '--porcelain', '--untracked-files=no']) !== '',
  };
}

export function describeMachine(m: Machine): string {
  return `${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB, node ${m.node}${m.kafka ? `, ${m.kafka}` : ''}; load ${m.load} at start; commit ${m.commit}${m.dirty ? '+dirty' : ''}`;
}
