import { execFileSync } from 'node:child_process';
import { truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes, readRegularFile } from '../../../src/core/index.ts';
import { Workspace } from '../topology/helpers.ts';

let ws: Workspace;
let dir: string;

beforeAll(async () => {
  ws = await Workspace.create();
  dir = ws.dir;
});

afterAll(async () => {
  await ws.remove();
});

describe('readRegularFile', () => {
  it('reads a regular file up to and including its limit', async () => {
    const file = path.join(dir, 'ten.txt');
    await writeFile(file, '0123456789');
    expect((await readRegularFile(file, 10, 'test file')).toString()).toBe('0123456789');
    const empty = path.join(dir, 'empty.txt');
    await writeFile(empty, '');
    expect((await readRegularFile(empty, 10, 'test file')).length).toBe(0);
  });

  it('refuses a file over its limit, from its size, with the path and size', async () => {
    const file = path.join(dir, 'eleven.txt');
    await writeFile(file, '0123456789X');
    await expect(readRegularFile(file, 10, 'test file')).rejects.toMatchObject({
      code: ErrorCodes.FILE_REFUSED,
      message: `test file ${file} is 11 bytes, over the 10-byte limit; refused unread`,
      context: { file, size: 11, limit: 10 },
    });
    const sparse = path.join(dir, 'sparse.bin');
    await writeFile(sparse, '');
    await truncate(sparse, 1024 ** 3);
    await expect(readRegularFile(sparse, 1024, 'test file')).rejects.toMatchObject({ code: ErrorCodes.FILE_REFUSED, context: { size: 1024 ** 3 } });
  });

  it('refuses, without blocking, a FIFO no one writes to', async () => {
    const fifo = path.join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    await expect(readRegularFile(fifo, 1024, 'schema file')).rejects.toMatchObject({
      code: ErrorCodes.FILE_REFUSED,
      message: `schema file ${fifo} is a FIFO (named pipe), not a regular file; refused`,
    });
  });

  it('refuses a directory and a device (/dev/zero would never end)', async () => {
    await expect(readRegularFile(dir, 1024, 'test file')).rejects.toMatchObject({ code: ErrorCodes.FILE_REFUSED, message: expect.stringContaining('is a directory') });
    await expect(readRegularFile('/dev/zero', 1024, 'test file')).rejects.toMatchObject({ code: ErrorCodes.FILE_REFUSED, message: expect.stringContaining('is a device') });
  });

  it('passes the system error on for a file that cannot be opened', async () => {
    await expect(readRegularFile(path.join(dir, 'missing'), 1024, 'test file')).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
