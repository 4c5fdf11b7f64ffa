/**
 * A whole program run as a child and timed from outside: wall seconds from
 * spawn to exit, and the CPU seconds the kernel charged it and every
 * descendant it waited for (all threads: JIT, GC, worker threads), as bash's
 * `times` reports them for its children. The same measure for a JVM and for
 * Node, whatever either says about itself.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';

export interface TimedRun {
  wallSeconds: number;
  cpuSeconds: number;
  /** What the program printed on stdout. */
  stdout: string;
}

/** bash's `times`, second line: children's user and system time, as `1m2.345s 0m0.678s`. */
function childSeconds(line: string): number {
  let total = 0;
  for (const [, m, s] of line.matchAll(/(\d+)m([\d.]+)s/g)) total += Number(m) * 60 + Number(s);
  return total;
}

const MARK = '__bench_times__';

/** Runs `command args`, its stderr into `logFile`; fails on a non-zero exit or after `timeoutMs`, naming the log. */
export function runTimed(command: string, args: readonly string[], options: { logFile: string; timeoutMs: number; env?: NodeJS.ProcessEnv }): Promise<TimedRun> {
  const script = `"$@"; code=$?; echo ${MARK} >&2; times >&2; exit $code`;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    // Its own process group, so that a run that does not end is stopped with everything it started.
    const child = spawn('bash', ['-c', script, 'timed', command, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env, detached: true });
    const log = createWriteStream(options.logFile);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      log.write(chunk);
      stderr = (stderr + chunk.toString()).slice(-4_096);
    });
    const timer = setTimeout(() => {
      // The program did not end by itself: a figure from it would be meaningless.
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
      reject(new Error(`${command} did not end within ${options.timeoutMs / 1_000} s (log: ${options.logFile})`));
    }, options.timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      log.end();
      const wallSeconds = (performance.now() - started) / 1_000;
      if (code !== 0) return reject(new Error(`${command} ${args.join(' ')} exited ${code} (log: ${options.logFile})`));
      const lines = stderr.slice(stderr.lastIndexOf(MARK)).split('\n');
      resolve({ wallSeconds, cpuSeconds: childSeconds(lines[2] ?? ''), stdout });
    });
  });
}
