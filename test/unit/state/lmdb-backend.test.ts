import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { open } from 'lmdb';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../../src/core/index.ts';
import { STORE_FORMAT_VERSION, openBackend } from '../../../src/state/index.ts';
import { LOCK_FILE } from '../../../src/state/lock.ts';
import { b, put, readable, tempDir } from './helpers.ts';

const child = fileURLToPath(new URL('./fixtures/store-child.ts', import.meta.url));
const repo = fileURLToPath(new URL('../../../', import.meta.url));

let dir: string;
let removeDir: () => Promise<void>;
const children: ChildProcess[] = [];

beforeEach(async () => {
  const tmp = await tempDir();
  removeDir = tmp.remove;
  dir = path.join(tmp.dir, 'topology', 'node', '0_1', 'counts');
});

afterEach(async () => {
  for (const proc of children.splice(0)) if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  await removeDir();
});

/** Starts the fixture and resolves once its stdout shows `line`. */
async function startChild(args: string[], line: RegExp): Promise<ChildProcess> {
  const proc = spawn(process.execPath, ['--import', 'tsx', child, ...args], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(proc);
  let out = '';
  let err = '';
  proc.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    proc.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (line.test(out)) resolve();
    });
    proc.once('exit', (code) => reject(new Error(`store child exited ${code}: ${err}`)));
  });
  return proc;
}

async function kill(proc: ChildProcess): Promise<void> {
  const exited = once(proc, 'exit');
  proc.kill('SIGKILL');
  await exited;
}

function captureLogs(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

/** Writes to the store's meta database behind the backend's back, as another version of sluice would. */
async function tamperMeta(change: (meta: { put(key: string, value: number): unknown; remove(key: string): unknown }) => void): Promise<void> {
  const root = open({ path: dir, maxDbs: 2 });
  const meta = root.openDB<number, string>('meta', {});
  await root.batch(() => change(meta));
  await root.close();
}

describe('LMDB backend', () => {
  it('keeps entries and checkpoint across a close and reopen', async () => {
    const first = await openBackend({ kind: 'lmdb', dir });
    await first.apply([put(b(1), 'a'), put(b(2), 'b')], 41);
    await first.apply([{ key: b(2), value: null }, put(b(3), 'c')], 42);
    await first.close();
    const second = await openBackend({ kind: 'lmdb', dir });
    expect(second.checkpoint).toBe(42);
    expect(readable(second.range(b(0), b(9)))).toEqual([
      ['01', 'a'],
      ['03', 'c'],
    ]);
    await second.close();
  });

  it('wipes a directory written in another format version, with a warning', async () => {
    const first = await openBackend({ kind: 'lmdb', dir });
    await first.apply([put(b(1), 'a')], 5);
    await first.close();
    await tamperMeta((meta) => meta.put('format', STORE_FORMAT_VERSION + 1));
    const { logger, lines } = captureLogs();
    const second = await openBackend({ kind: 'lmdb', dir, logger });
    expect(second.checkpoint).toBeUndefined();
    expect(second.get(b(1))).toBeUndefined();
    expect(lines).toEqual([
      expect.objectContaining({ level: 40, path: dir, found: STORE_FORMAT_VERSION + 1, expected: STORE_FORMAT_VERSION }),
    ]);
    await second.apply([put(b(2), 'b')], 1);
    await second.close();
    const third = await openBackend({ kind: 'lmdb', dir, logger });
    expect(third.checkpoint).toBe(1);
    expect(lines).toHaveLength(1);
    await third.close();
  });

  it('empties a store whose wipe a crash cut short (data left, checkpoint gone)', async () => {
    const first = await openBackend({ kind: 'lmdb', dir });
    await first.apply([put(b(1), 'a')], 5);
    await first.close();
    await tamperMeta((meta) => meta.remove('checkpoint'));
    const second = await openBackend({ kind: 'lmdb', dir });
    expect(second.checkpoint).toBeUndefined();
    expect(readable(second.range(b(0), b(9)))).toEqual([]);
    await second.close();
  });

  it('refuses a directory this process already holds, and opens it once closed', async () => {
    const first = await openBackend({ kind: 'lmdb', dir });
    await expect(openBackend({ kind: 'lmdb', dir })).rejects.toMatchObject({ code: ErrorCodes.STATE_LOCKED });
    await first.close();
    const second = await openBackend({ kind: 'lmdb', dir });
    await second.close();
  });

  it('refuses a directory another live process holds, and takes it over once that process died', async () => {
    const holder = await startChild(['hold', dir], /open/);
    const refusal = openBackend({ kind: 'lmdb', dir });
    await expect(refusal).rejects.toMatchObject({ code: ErrorCodes.STATE_LOCKED, context: { pid: holder.pid } });
    await kill(holder);
    const backend = await openBackend({ kind: 'lmdb', dir });
    await backend.apply([put(b(1), 'a')], 1);
    await backend.close();
  });

  it('takes over a lock file naming this pid that this process did not write (a restart reusing the pid)', async () => {
    const first = await openBackend({ kind: 'lmdb', dir });
    await first.close();
    await writeFile(path.join(dir, LOCK_FILE), JSON.stringify({ pid: process.pid, start: 'an earlier boot' }));
    const second = await openBackend({ kind: 'lmdb', dir });
    await second.close();
  });

  it('leaves, after a SIGKILL in the middle of applying, a checkpoint that matches every value', async () => {
    const keys = 2_000;
    let reached = 0;
    for (const delay of [0, 37, 151]) {
      const churn = await startChild(['churn', dir, String(keys)], /applied \d+/);
      await new Promise((resolve) => setTimeout(resolve, delay));
      await kill(churn);
      const backend = await openBackend({ kind: 'lmdb', dir });
      const checkpoint = backend.checkpoint;
      expect(checkpoint).toBeGreaterThan(reached);
      const values = new Set([...backend.range(b(0), b(0xff))].map(([, value]) => value.toString()));
      expect([...values]).toEqual([String(checkpoint)]);
      expect([...backend.range(b(0), b(0xff))]).toHaveLength(keys);
      reached = checkpoint!;
      await backend.close();
    }
  });
});
