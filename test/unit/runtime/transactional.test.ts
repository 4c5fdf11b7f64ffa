import { describe, expect, it } from 'vitest';
import { PartitionWatermark } from '../../../src/runtime/offsets.ts';
import { completeUpTo } from '../../../src/runtime/sinks/transactional.ts';


describe('completeUpTo', () => {
  it('cuts a transaction only where every input in it is finished', () => {
    const mark = new PartitionWatermark('in', 0);
    const a = mark.track(0n);
    const b = mark.track(1n);
    const c = mark.track(2n);
    b.fanOut(3); // b produced three outputs; only two are in this batch
    const entries = [{ token: a }, { token: b }, { token: b }, { token: c }];
    expect(completeUpTo(entries)).toBe(1); // b straddles: b and everything after waits
    expect(completeUpTo([...entries.slice(1, 3), { token: b }])).toBe(3);
    expect(completeUpTo([{ token: undefined }, { token: a }])).toBe(2);
    expect(completeUpTo([])).toBe(0);
  });
});
