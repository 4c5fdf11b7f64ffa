import { describe, expect, it } from 'vitest';
import { PartitionWatermark } from '../../../src/runtime/offsets.ts';
import { completeUpTo } from '../../../src/runtime/sinks/transactional.ts';

const record = { topic: 'out', key: null, value: null };

describe('completeUpTo', () => {
  it('cuts a transaction only where every input in it is finished', () => {
    const mark = new PartitionWatermark('in', 0);
    const a = mark.track(0n);
    const b = mark.track(1n);
    const c = mark.track(2n);
    b.fanOut(3); // b produced three outputs; only two are in this batch
    const entries = [{ record, token: a }, { record, token: b }, { record, token: b }, { record, token: c }];
    expect(completeUpTo(entries)).toBe(1); // b straddles: b and everything after waits
    expect(completeUpTo([...entries.slice(1, 3), { record, token: b }])).toBe(3);
    expect(completeUpTo([{ record, token: undefined }, { record, token: a }])).toBe(2);
    expect(completeUpTo([])).toBe(0);
  });
});
