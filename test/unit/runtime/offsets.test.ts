import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OffsetTracker, PartitionWatermark } from '../../../src/runtime/offsets.ts';

describe('PartitionWatermark', () => {
  it('commits only the contiguous settled prefix', () => {
    const mark = new PartitionWatermark('t', 0);
    const [a, b, c] = [mark.track('10'), mark.track('11'), mark.track('12')];
    c!.done();
    expect(mark.committable()).toBeUndefined();
    a!.done();
    expect(mark.committable()).toBe(11n);
    b!.done();
    expect(mark.committable()).toBe(13n);
    mark.markCommitted(13n);
    expect(mark.committable()).toBeUndefined();
  });

  it('treats a filtered record (fan-out 0) as settled and waits for every flatMap output', () => {
    const mark = new PartitionWatermark('t', 0);
    const dropped = mark.track(0n);
    const exploded = mark.track(1n);
    dropped.fanOut(0);
    expect(mark.committable()).toBe(1n);
    exploded.fanOut(3);
    exploded.done();
    exploded.done();
    expect(mark.committable()).toBe(1n);
    exploded.done();
    expect(mark.committable()).toBe(2n);
  });

  it('accepts gaps between offsets (compacted topics, transaction markers) but not going backwards', () => {
    const mark = new PartitionWatermark('t', 0);
    mark.track(5n).done();
    mark.track(9n).done();
    expect(mark.committable()).toBe(10n);
    expect(() => mark.track(9n)).toThrow(/not after 9/);
  });

  it('never commits past an unsettled offset, whatever the order of acks (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(4), { minLength: 1, maxLength: 3000 }), fc.infiniteStream(fc.nat()), (fanouts, picks) => {
        const mark = new PartitionWatermark('t', 0);
        const open: Array<{ done: () => void; offset: bigint; left: number }> = [];
        fanouts.forEach((n, i) => {
          const token = mark.track(BigInt(i));
          token.fanOut(n);
          if (n > 0) open.push({ done: () => token.done(), offset: BigInt(i), left: n });
        });
        const it = picks[Symbol.iterator]();
        while (open.length > 0) {
          const k = (it.next().value as number) % open.length;
          const item = open[k]!;
          item.done();
          if (--item.left === 0) open.splice(k, 1);
          const next = mark.committable();
          const lowestOpen = open.reduce((m, o) => (o.offset < m ? o.offset : m), BigInt(fanouts.length));
          if (next !== undefined) expect(next).toBeLessThanOrEqual(lowestOpen);
        }
        expect(mark.committable() ?? 0n).toBe(BigInt(fanouts.length));
        expect(mark.inFlight).toBe(0);
      }),
      { numRuns: 50 },
    );
  });
});

describe('OffsetTracker', () => {
  it('reports each partition separately and forgets revoked ones', () => {
    const tracker = new OffsetTracker();
    tracker.track('a', 0, '0').done();
    tracker.track('a', 1, '7').done();
    const late = tracker.track('a', 1, '8');
    expect(tracker.committable()).toEqual([
      { topic: 'a', partition: 0, offset: '1' },
      { topic: 'a', partition: 1, offset: '8' },
    ]);
    tracker.drop('a', 1);
    late.done();
    expect(tracker.committable()).toEqual([{ topic: 'a', partition: 0, offset: '1' }]);
    expect(tracker.inFlight).toBe(0);
  });
});
