import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ChangelogEntry } from '../../../src/state/index.ts';

export async function tempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'sluice-state-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export const b = (...bytes: number[]): Buffer => Buffer.from(bytes);

export function put(key: Buffer, value: string): ChangelogEntry {
  return { key, value: Buffer.from(value) };
}

export function tombstone(key: Buffer): ChangelogEntry {
  return { key, value: null };
}

/** [key as hex, value as text] pairs: compact to assert on. */
export function readable(entries: Iterable<[Buffer, Buffer]>): [string, string][] {
  return [...entries].map(([key, value]) => [key.toString('hex'), value.toString()]);
}
