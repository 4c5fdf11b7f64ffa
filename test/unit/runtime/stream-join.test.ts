import { describe, expect, it } from 'vitest';
import type { StreamJoinKind, StreamJoinSpec } from '../../../src/processors/index.ts';
import { CachedStore, openBackend } from '../../../src/state/index.ts';
import { TaskJoin, type JoinResult, type JoinSide } from '../../../src/runtime/steps/stream-join.ts';

const MIN = 60_000;

function spec(join: StreamJoinKind, withinMs = 5 * MIN, graceMs = MIN): StreamJoinSpec {
  return { with: 'stream', stream: 'payments', on: 'id', withinMs, graceMs, kind: join, as: 'payment' };
}

async function joiner(s: StreamJoinSpec, store?: CachedStore): Promise<{ join: TaskJoin; store: CachedStore }> {
  const st = store ?? new CachedStore(await openBackend({ kind: 'memory' }));
  return { join: new TaskJoin(s, st), store: st };
}

interface In {
  side: JoinSide;
  key: string;
  t: number;
  v?: string;
}

/** Feeds records as the step does: late ones (by the join's own rule) are left out and counted. */
function feed(join: TaskJoin, inputs: In[]): { out: string[]; late: number } {
  const out: string[] = [];
  let late = 0;
  for (const i of inputs) {
    if (join.lateness(i.t) > 0) {
      late++;
      continue;
    }
    out.push(...join.add(i.side, i.key, i.t, i.v ?? `${i.side[0]}${i.t / MIN}`).map(show));
  }
  return { out, late };
}

function show(r: JoinResult): string {
  return `${r.key}@${r.timestamp / MIN}:${String(r.left)}+${String(r.right)}`;
}

/**
 * The same join computed over all records at once: every pair within the bound, and for left/outer
 * the unmatched records whose window (t + within + grace) the final stream time has passed.
 */
function batchJoin(inputs: In[], s: StreamJoinSpec, streamTime: number): string[] {
  const out: string[] = [];
  const name = (i: In) => i.v ?? `${i.side[0]}${i.t / MIN}`;
  const lefts = inputs.filter((i) => i.side === 'left');
  const rights = inputs.filter((i) => i.side === 'right');
  const paired = new Set<In>();
  for (const l of lefts) {
    for (const r of rights) {
      if (l.key !== r.key || Math.abs(l.t - r.t) > s.withinMs) continue;
      paired.add(l).add(r);
      out.push(`${l.key}@${Math.max(l.t, r.t) / MIN}:${name(l)}+${name(r)}`);
    }
  }
  const closed = (i: In) => streamTime > i.t + s.withinMs + s.graceMs;
  if (s.kind !== 'inner') for (const l of lefts) if (!paired.has(l) && closed(l)) out.push(`${l.key}@${l.t / MIN}:${name(l)}+null`);
  if (s.kind === 'outer') for (const r of rights) if (!paired.has(r) && closed(r)) out.push(`${r.key}@${r.t / MIN}:null+${name(r)}`);
  return out.sort();
}

describe('TaskJoin', () => {
  it('pairs records of one key whose times differ by at most `within`, either way, and no others', async () => {
    const { join } = await joiner(spec('inner'));
    const { out } = feed(join, [
      { side: 'left', key: 'a', t: 10 * MIN },
      { side: 'right', key: 'a', t: 5 * MIN }, // exactly 5 minutes before
      { side: 'right', key: 'a', t: 15 * MIN }, // exactly 5 minutes after
      { side: 'right', key: 'a', t: 15 * MIN + 1 }, // 1 ms too late for the window
      { side: 'right', key: 'b', t: 10 * MIN }, // another key
    ]);
    expect(out).toEqual(['a@10:l10+r5', 'a@15:l10+r15']);
  });

  it('a left join emits an unmatched left record with null only once stream time passes t + within + grace', async () => {
    const { join } = await joiner(spec('left'));
    expect(feed(join, [{ side: 'left', key: 'a', t: 0 }]).out).toEqual([]);
    // 6 minutes: the window plus grace is still open (closed when stream time > 6m).
    expect(join.advanceTo(6 * MIN)).toEqual([]);
    expect(join.advanceTo(6 * MIN + 1).map(show)).toEqual(['a@0:l0+null']);
    // Emitted once, and gone from the store.
    expect(join.advanceTo(60 * MIN)).toEqual([]);
  });

  it('a matched left record is never emitted with null, and an inner join emits no unmatched ones', async () => {
    for (const kind of ['left', 'inner'] as const) {
      const { join } = await joiner(spec(kind));
      const { out } = feed(join, [
        { side: 'left', key: 'a', t: 0 },
        { side: 'right', key: 'a', t: 2 * MIN },
        { side: 'left', key: 'b', t: MIN },
        { side: 'right', key: 'z', t: 3 * MIN },
      ]);
      out.push(...join.advanceTo(100 * MIN).map(show));
      expect(out).toEqual(kind === 'left' ? ['a@2:l0+r2', 'b@1:l1+null'] : ['a@2:l0+r2']);
    }
  });

  it('an outer join also emits unmatched right records, oldest first', async () => {
    const { join } = await joiner(spec('outer'));
    const { out } = feed(join, [
      { side: 'right', key: 'x', t: 0 },
      { side: 'left', key: 'y', t: MIN },
      { side: 'right', key: 'y', t: 20 * MIN }, // too far from y's left record
    ]);
    out.push(...join.advanceTo(100 * MIN).map(show));
    expect(out).toEqual(['x@0:null+r0', 'y@1:l1+null', 'y@20:null+r20']);
  });

  it('a record whose window and grace closed before it came is late; one just inside still joins', async () => {
    const { join } = await joiner(spec('inner'));
    join.add('left', 'a', 20 * MIN, 'l20');
    // Stream time 20m: a record at 14m closes at 20m (not yet), one at 14m - 1 ms has closed.
    expect(join.lateness(14 * MIN)).toBe(0);
    expect(join.lateness(14 * MIN - 1)).toBe(1);
    expect(join.add('right', 'a', 15 * MIN, 'r15').map(show)).toEqual(['a@20:l20+r15']);
  });

  it('keeps stream time and buffered records in its store: a new TaskJoin over it goes on where this one was', async () => {
    const { join, store } = await joiner(spec('left'));
    join.add('left', 'a', 0, 'l0');
    join.add('left', 'b', 4 * MIN, 'l4');
    join.saveStreamTime();
    const again = new TaskJoin(spec('left'), store);
    expect(again.streamTime).toBe(4 * MIN);
    expect(again.add('right', 'b', 8 * MIN, 'r8').map(show)).toEqual(['b@8:l4+r8', 'a@0:l0+null']);
  });

  it('equals the join computed over all records at once, for records at most `grace` out of order', async () => {
    let seed = 17;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    for (const kind of ['inner', 'left', 'outer'] as const) {
      const s = spec(kind, 3 * MIN, 2 * MIN);
      const inputs: In[] = [];
      for (let n = 0; n < 400; n++) {
        inputs.push({ side: random() < 0.5 ? 'left' : 'right', key: `k${Math.floor(random() * 12)}`, t: n * 15_000 + Math.floor(random() * 2 * MIN), v: `${n}` });
      }
      const { join } = await joiner(s);
      const { out, late } = feed(join, inputs);
      expect(late).toBe(0);
      expect(out.sort()).toEqual(batchJoin(inputs, s, join.streamTime));
    }
  });
});
