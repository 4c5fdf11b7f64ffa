import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PartitionWatermark } from '../../../src/runtime/offsets.ts';

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

  it('counts a record settled behind an unsettled one as finished, not in flight', () => {
    // A join holds 0 and 1 in its store until the next commit; 2 arrives late and is dead-lettered. A test
    // driver commits only once nothing is in flight beyond what stores hold, so 2 must not count.
    const mark = new PartitionWatermark('t', 0);
    const [held, alsoHeld, late] = [mark.track(0n), mark.track(1n), mark.track(2n)];
    late.done();
    expect(mark.inFlight).toBe(2);
    held.done();
    alsoHeld.done();
    expect(mark.inFlight).toBe(0);
    expect(mark.committable()).toBe(3n);
  });

  it('settles a record once, however often its fan-out reaches zero', () => {
    const mark = new PartitionWatermark('t', 0);
    const [dropped, open] = [mark.track(0n), mark.track(1n)];
    dropped.fanOut(0);
    dropped.fanOut(1);
    expect(mark.inFlight).toBe(1);
    open.done();
    expect(mark.inFlight).toBe(0);
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
          expect(mark.inFlight).toBe(open.length);
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

describe('committing past transaction markers', () => {
  /** The watermark of t[0], whose consumer stands at `position`. */
  function tracked(position: { lastDelivered: string | null; next: string } | undefined) {
    let at = position;
    return { mark: new PartitionWatermark('t', 0, () => at), move: (p: typeof position) => (at = p) };
  }

  it("commits the consumer's position once every record it delivered is settled", () => {
    // Records 0-2 of a transaction, its marker at 3.
    const { mark } = tracked({ lastDelivered: '2', next: '4' });
    const tokens = [mark.track('0'), mark.track('1'), mark.track('2')];
    tokens[0]!.done();
    tokens[1]!.done();
    expect(mark.committable()).toBe(2n);
    tokens[2]!.done();
    expect(mark.committable()).toBe(4n);
    mark.markCommitted(4n);
    expect(mark.committable()).toBeUndefined();
  });

  it('stops at the last settled record while the consumer holds records the stage has not tracked yet', () => {
    const { mark, move } = tracked({ lastDelivered: '5', next: '7' });
    mark.track('0').done();
    expect(mark.committable()).toBe(1n);
    // Those records reach the stage and settle: now the position counts.
    for (const offset of ['1', '2', '5']) mark.track(offset).done();
    expect(mark.committable()).toBe(7n);
    // The consumer delivered more (record 9): until it is tracked, only the settled prefix counts.
    move({ lastDelivered: '9', next: '11' });
    expect(mark.committable()).toBe(6n);
  });

  it('moves a partition that delivered nothing, its committed offset at a marker, past that marker', () => {
    const { mark } = tracked({ lastDelivered: null, next: '1001' });
    mark.markCommitted(1000n);
    expect(mark.committable()).toBe(1001n);
  });

  it('never commits a position the consumer has not reported, nor one behind what is settled', () => {
    const unknown = tracked(undefined);
    unknown.mark.track('3').done();
    expect(unknown.mark.committable()).toBe(4n);
    const behind = tracked({ lastDelivered: '3', next: '2' });
    behind.mark.track('3').done();
    expect(behind.mark.committable()).toBe(4n);
  });
});
