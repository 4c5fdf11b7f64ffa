import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/index.ts';
import { decodePosition, encodePosition, hashHead, resumeFrom, type SourcePosition } from '../../../src/runtime/sources/position.ts';
import { SourceProgress, type PositionStore } from '../../../src/runtime/sources/progress.ts';
import { splitLines } from '../../../src/runtime/sources/lines.ts';

const head = Buffer.from('{"id":1}\n{"id":2}\n');
const stored: SourcePosition = {
  next: 18,
  line: 2,
  file: { dev: '2049', ino: '77', size: 18, headLength: 18, headHash: hashHead(head) },
};
const now = (over: Partial<{ dev: string; ino: string; size: number; bytes: Buffer }> = {}) => {
  const bytes = over.bytes ?? Buffer.concat([head, Buffer.from('{"id":3}\n')]);
  return { dev: over.dev ?? '2049', ino: over.ino ?? '77', size: over.size ?? bytes.length, headHash: (n: number) => hashHead(bytes.subarray(0, n)) };
};

describe('resumeFrom', () => {
  it('continues from the stored position in the same file, grown', () => {
    expect(resumeFrom(stored, now())).toEqual({ from: 'stored', next: 18, line: 2 });
  });

  it('starts over for a file replaced or rotated (another inode), truncated, or rewritten in place', () => {
    expect(resumeFrom(stored, now({ ino: '78' }))).toEqual({ from: 'start', reason: 'replaced' });
    expect(resumeFrom(stored, now({ dev: '2050' }))).toEqual({ from: 'start', reason: 'replaced' });
    expect(resumeFrom(stored, now({ size: 17 }))).toEqual({ from: 'start', reason: 'truncated' });
    expect(resumeFrom(stored, now({ bytes: Buffer.from('{"id":9}\n{"id":8}\n{"id":7}\n') }))).toEqual({ from: 'start', reason: 'rewritten' });
  });

  it('starts at the beginning when nothing was stored', () => {
    expect(resumeFrom(undefined, now())).toEqual({ from: 'start', reason: 'none' });
  });
});

describe('stored positions', () => {
  it('round-trip, and a damaged one is refused with the reason', () => {
    expect(decodePosition(encodePosition(stored))).toEqual({ ok: true, position: stored });
    expect(decodePosition('{"next":-1,"line":0}')).toMatchObject({ ok: false, reason: expect.stringMatching(/^next: /) });
    expect(decodePosition('nope')).toMatchObject({ ok: false, reason: expect.stringMatching(/^not JSON/) });
  });
});

describe('splitLines', () => {
  it('gives each line its number and the byte offset after it, across chunks, CRLF and multi-byte text', async () => {
    const bytes = Buffer.from('a\r\n\nüé\n{"x":"€"}\nlast');
    // One byte at a time: every line and character straddles chunks.
    const chunks = Readable.from([...bytes].map((b) => Buffer.from([b])));
    const got = [];
    for await (const l of splitLines(chunks)) got.push(l);
    expect(got).toEqual([
      { text: 'a', line: 1, end: 3 },
      { text: '', line: 2, end: 4 },
      { text: 'üé', line: 3, end: 9 },
      { text: '{"x":"€"}', line: 4, end: 21 },
      { text: 'last', line: 5, end: 25 },
    ]);
    expect(got.at(-1)!.end).toBe(bytes.length);
  });

  it('counts on from a stored position', async () => {
    const got = [];
    for await (const l of splitLines(Readable.from([Buffer.from('c\nd\n')]), { next: 4, line: 2 })) got.push(l);
    expect(got).toEqual([
      { text: 'c', line: 3, end: 6 },
      { text: 'd', line: 4, end: 8 },
    ]);
  });
});

class MemoryStore implements PositionStore {
  saved: SourcePosition[] = [];
  failNext = false;
  async load(): Promise<SourcePosition | undefined> {
    return this.saved.at(-1);
  }
  async save(position: SourcePosition): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('broker away');
    }
    this.saved.push(position);
  }
}

describe('SourceProgress', () => {
  const progressOf = (store: MemoryStore) =>
    new SourceProgress({ store, describe: async (next, line) => ({ next, line }), logger: silentLogger, name: '/in.ndjson' });

  it('stores the end of the contiguous settled prefix with its line number, only when it moved', async () => {
    const store = new MemoryStore();
    const progress = progressOf(store);
    const a = progress.track(10, 1);
    const b = progress.track(25, 3);
    const c = progress.track(30, 4);
    await progress.commit();
    expect(store.saved).toEqual([]);
    b.done();
    c.fanOut(2);
    c.done();
    await progress.commit();
    expect(store.saved).toEqual([]);
    a.done();
    await progress.commit();
    expect(store.saved).toEqual([{ next: 25, line: 3 }]);
    c.done();
    await progress.commit();
    await progress.commit();
    expect(store.saved).toEqual([
      { next: 25, line: 3 },
      { next: 30, line: 4 },
    ]);
  });

  it('keeps a position whose save failed for the next commit, and stores nothing after abandon', async () => {
    const store = new MemoryStore();
    const progress = progressOf(store);
    progress.track(5, 1).done();
    store.failNext = true;
    await progress.commit();
    expect(store.saved).toEqual([]);
    await progress.commit();
    expect(store.saved).toEqual([{ next: 5, line: 1 }]);
    progress.track(9, 2).done();
    progress.abandon();
    expect(store.saved).toEqual([{ next: 5, line: 1 }]);
  });
});
