/** Runs the CLI in-process and captures what it prints, for command tests. */
import { afterAll, beforeAll, vi } from 'vitest';
import { main } from '../../../src/cli/main.ts';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Unit tests run on the embedded transport whatever broker the shell names (`npm test` may be given one). */
export async function runCli(...args: string[]): Promise<CliRun> {
  const brokers = process.env.KAFKA_BROKERS;
  delete process.env.KAFKA_BROKERS;
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await main(['node', 'sluice', ...args]);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
    // main() reports through process.exitCode; leave none behind for the test runner.
    process.exitCode = undefined;
    if (brokers !== undefined) process.env.KAFKA_BROKERS = brokers;
  }
}

/** For the calling file's tests: `sluice run`'s pino logs go to fd 2 past the capture above, so silence them. */
export function silenceLogs(): void {
  let level: string | undefined;
  beforeAll(() => {
    level = process.env.SLUICE_LOG_LEVEL;
    process.env.SLUICE_LOG_LEVEL = 'silent';
  });
  afterAll(() => {
    if (level === undefined) delete process.env.SLUICE_LOG_LEVEL;
    else process.env.SLUICE_LOG_LEVEL = level;
  });
}
