import { describe, expect, it } from 'vitest';
import { EarliestQueues } from '../../../src/transport/earliest-queues.ts';
import type { ConsumedRecord } from '../../../src/transport/types.ts';

const at = (topic: string, partition: number, offset: number, timestamp: number): ConsumedRecord => ({
  key: null, value: null, headers: {}, timestamp, topic, partition, offset: String(offset),
});

/** The order the stream promises, computed the slow way: earliest head by timestamp, ties to the partition seen first. */
function reference(queues: Map<string, ConsumedRecord[]>): ConsumedRecord[] {
  const out: ConsumedRecord[] = [];
  for (;;) {
    let best: ConsumedRecord[] | undefined;
    for (const q of queues.values()) {
      if (q.length > 0 && (best === undefined || q[0]!.timestamp < best[0]!.timestamp)) best = q;
    }
    if (best === undefined) return out;
    out.push(best.shift()!);
  }
}

describe('EarliestQueues', () => {
  it('hands out records as a scan of every partition would, across topics, ties and drops', () => {
    let seed = 7;
    const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
    const queues = new EarliestQueues();
    const mirror = new Map<string, ConsumedRecord[]>();
    const next = new Map<string, number>();
    const taken: ConsumedRecord[] = [];
    const expected: ConsumedRecord[] = [];
    for (let round = 0; round < 200; round++) {
      for (let i = 0; i < 20; i++) {
        const topic = random(2) === 0 ? 'a' : 'b';
        const partition = random(12);
        const id = `${topic}/${partition}`;
        const offset = next.get(id) ?? 0;
        next.set(id, offset + 1);
        const r = at(topic, partition, offset, random(50));
        queues.push(r);
        mirror.set(id, [...(mirror.get(id) ?? []), r]);
      }
      if (random(5) === 0) {
        const [topic, partition] = [random(2) === 0 ? 'a' : 'b', random(12)];
        expect(queues.drop(topic, partition)).toBe(mirror.get(`${topic}/${partition}`)?.length ?? 0);
        mirror.delete(`${topic}/${partition}`);
      }
      // Take part of what waits, as a reader slower than the consumer would.
      const want = reference(new Map([...mirror].map(([k, q]) => [k, [...q]]))).slice(0, 15);
      for (const r of want) {
        expected.push(r);
        taken.push(queues.shift());
        const q = mirror.get(`${r.topic}/${r.partition}`)!;
        q.shift();
      }
    }
    expect(taken.length).toBeGreaterThan(2_000);
    expect(taken).toEqual(expected);
  });

  it('keeps a parked task out of the order, records joining it, and puts it back by timestamp', () => {
    const queues = new EarliestQueues();
    queues.push(at('a', 0, 0, 5));
    queues.push(at('b', 0, 0, 7));
    queues.push(at('a', 1, 0, 20));
    queues.park(0);
    expect(queues.peek()?.partition).toBe(1);
    queues.push(at('a', 0, 1, 1));
    expect(queues.shift().partition).toBe(1);
    expect(queues.peek()).toBeUndefined();
    expect(queues.first('a', 0)?.offset).toBe('0');
    queues.unpark(0);
    const out = [queues.shift(), queues.shift(), queues.shift()].map((r) => `${r.topic}@${r.offset}`);
    expect(out).toEqual(['a@0', 'a@1', 'b@0']);
    expect(queues.drop('a', 0)).toBe(0);
  });
});
