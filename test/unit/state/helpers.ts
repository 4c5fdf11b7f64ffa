import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { v8Serde, type ChangelogEntry, type Serde } from '../../../src/state/index.ts';

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

/** v8Serde counting its calls: what a store's write cache spares shows as calls not made. */
export function countingSerde<V>(): Serde<V> & { serialized: number; deserialized: number } {
  const inner = v8Serde<V>();
  const serde = {
    serialized: 0,
    deserialized: 0,
    serialize(value: V): Buffer {
      serde.serialized++;
      return inner.serialize(value);
    },
    deserialize(bytes: Buffer): V {
      serde.deserialized++;
      return inner.deserialize(bytes);
    },
  };
  return serde;
}
