/**
 * The input positions a task's stores hold: per input topic, the offset after
 * the last record whose effect is in them. Written into the first store with
 * every snapshot, so they reach the changelog in the same write as the
 * changes, and read back after a restore: a record below them is already
 * counted, and at-least-once re-reads it without adding it twice.
 */
import { metaKey, type CachedStore } from '../../state/index.ts';
import type { Task } from './task.ts';

const POSITIONS = metaKey('input-positions');

export function readPositions(store: CachedStore): Map<string, bigint> {
  const bytes = store.get(POSITIONS);
  const out = new Map<string, bigint>();
  if (bytes === undefined) return out;
  for (const [topic, offset] of Object.entries(JSON.parse(bytes.toString('utf8')) as Record<string, string>)) out.set(topic, BigInt(offset));
  return out;
}

export function writePositions(store: CachedStore, task: Task): void {
  if (task.absorbed.size === 0) return;
  const positions = readPositions(store);
  let moved = false;
  for (const [topic, next] of task.absorbed) {
    if ((positions.get(topic) ?? -1n) < next) {
      positions.set(topic, next);
      moved = true;
    }
  }
  if (!moved) return;
  const json: Record<string, string> = {};
  for (const [topic, next] of positions) json[topic] = next.toString();
  store.put(POSITIONS, Buffer.from(JSON.stringify(json)));
}
