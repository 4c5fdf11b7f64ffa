/**
 * A part of a scenario that must not share a process with what it measures
 * (a load generator beside the hop it loads, a stage whose RSS is sampled)
 * runs as a child: the same scenario file with a role flag, loaded through
 * tsx, answering with one JSON line on stdout.
 */
import { spawn } from 'node:child_process';

export function runChild<T>(file: string, args: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file, ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: process.env });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0) return reject(new Error(`${file} ${args.join(' ')} exited ${code}`));
      try {
        resolve(JSON.parse(last) as T);
      } catch {
        reject(new Error(`${file} ${args.join(' ')} printed no JSON result: ${last}`));
      }
    });
  });
}

/** The child's answer: one JSON line, the last thing it prints. */
export function answer(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}
