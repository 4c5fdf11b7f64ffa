/**
 * A file source's file, opened once for the stage's life: where reading
 * starts (the stored position, when the file there is still the one it was
 * stored for) and the position to store as reading goes on, with the file's
 * identity taken from the same open file, so a file replaced meanwhile cannot
 * lend the new one its position.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { ErrorCodes, SluiceError, type Logger } from '../../core/index.ts';
import { HEAD_BYTES, hashHead, resumeFrom, type SourcePosition } from './position.ts';

/** `bytes`: positions are byte offsets (line files); `records`: counts of records (Avro containers). */
export type PositionUnit = 'bytes' | 'records';

export interface TrackedFile {
  readonly handle: FileHandle;
  /** Where to start: bytes or records to skip, and the number of the last line (record) before them. */
  readonly start: { next: number; line: number };
  /** The position to store for `next` after line `line`. */
  describe(next: number, line: number): Promise<SourcePosition>;
  close(): Promise<void>;
}

/**
 * The bytes of an open file from `start` on, read by position: the handle is
 * never handed to a stream, which would close it when destroyed, while the
 * source still needs it to describe its position.
 */
export async function* chunksOf(handle: FileHandle, start = 0, size = 256 * 1024): AsyncGenerator<Buffer> {
  for (let at = start; ; ) {
    const buffer = Buffer.allocUnsafe(size);
    const { bytesRead } = await handle.read(buffer, 0, size, at);
    if (bytesRead === 0) return;
    at += bytesRead;
    yield buffer.subarray(0, bytesRead);
  }
}

async function readHead(handle: FileHandle, length: number): Promise<Buffer> {
  const head = Buffer.alloc(length);
  const { bytesRead } = await handle.read(head, 0, length, 0);
  return head.subarray(0, bytesRead);
}

/**
 * Opens `path` and decides where to start: `stored` when the file is the
 * same and not shorter; the start, with a warning, when it was replaced,
 * rotated, rewritten or truncated.
 */
export async function openTrackedFile(path: string, unit: PositionUnit, stored: SourcePosition | undefined, logger: Logger): Promise<TrackedFile> {
  const handle = await open(path, 'r').catch((err: unknown) => {
    throw new SluiceError(ErrorCodes.CONFIG_INVALID, `input file ${path}: ${(err as Error).message}`, { cause: err, context: { file: path } });
  });
  try {
    const info = await handle.stat({ bigint: true });
    const identity = { dev: info.dev.toString(), ino: info.ino.toString() };
    const head = await readHead(handle, HEAD_BYTES);
    const resume = resumeFrom(stored, { ...identity, size: Number(info.size), headHash: (length) => hashHead(head.subarray(0, length)) });
    if (resume.from === 'stored') {
      logger.info({ file: path, position: resume.next, line: resume.line, unit }, 'file source continues from its stored position');
    } else if (resume.reason !== 'none') {
      const why = { replaced: 'the file was replaced or rotated (another inode)', truncated: 'the file is shorter than the stored position', rewritten: 'the file was rewritten in place (its first bytes differ)' }[resume.reason];
      logger.warn({ file: path, reason: resume.reason, stored }, `${why}: reading it from the start`);
    }
    return {
      handle,
      start: resume.from === 'stored' ? { next: resume.next, line: resume.line } : { next: 0, line: 0 },
      async describe(next, line) {
        // Bytes before a byte position never change in a file that is only appended to; a record count needs the size it was read from.
        const size = unit === 'bytes' ? next : Number((await handle.stat()).size);
        const headLength = Math.min(HEAD_BYTES, size);
        return { next, line, file: { ...identity, size, headLength, headHash: hashHead(await readHead(handle, headLength)) } };
      },
      close: () => handle.close(),
    };
  } catch (err) {
    await handle.close();
    throw err;
  }
}
