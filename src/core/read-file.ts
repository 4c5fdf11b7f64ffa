/**
 * Reading a file a user named (a topology, a schema) without trusting it to
 * be one. The kind and size are judged on the opened descriptor (fstat), not
 * on the path before opening, so swapping the path between check and read
 * cannot slip a FIFO or a huge file past the check; O_NONBLOCK makes opening
 * a FIFO return at once instead of waiting forever for a writer. At most
 * `maxBytes` + 1 bytes are ever read, so a file growing after the check is
 * refused too.
 */
import { constants, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import { ErrorCodes, SluiceError } from './errors.ts';

function kindOf(info: Stats): string {
  if (info.isDirectory()) return 'a directory';
  if (info.isFIFO()) return 'a FIFO (named pipe)';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

function tooLarge(file: string, what: string, maxBytes: number, size?: number): SluiceError {
  const measured = size !== undefined ? `${size} bytes` : 'larger than that';
  return new SluiceError(ErrorCodes.FILE_REFUSED, `${what} ${file} is ${measured}, over the ${maxBytes}-byte limit; refused unread`, {
    context: { file, limit: maxBytes, ...(size !== undefined ? { size } : {}) },
  });
}

/**
 * The bytes of `file`, which must be a regular file of at most `maxBytes`.
 * `what` names it in errors ("topology file", "schema file"). Throws
 * SLUICE_ERR_FILE_REFUSED for anything else; a file that cannot be opened
 * throws the system's error (ENOENT, EACCES), for the caller to word.
 */
export async function readRegularFile(file: string, maxBytes: number, what: string): Promise<Buffer> {
  const handle = await open(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const info = await handle.stat();
    if (!info.isFile()) {
      throw new SluiceError(ErrorCodes.FILE_REFUSED, `${what} ${file} is ${kindOf(info)}, not a regular file; refused`, { context: { file } });
    }
    if (info.size > maxBytes) throw tooLarge(file, what, maxBytes, info.size);
    // One byte more than fstat said, to see the end; more only if the file grows meanwhile.
    let buf = Buffer.alloc(info.size + 1);
    let length = 0;
    for (;;) {
      if (length === buf.length) {
        if (length > maxBytes) throw tooLarge(file, what, maxBytes);
        buf = Buffer.concat([buf, Buffer.alloc(Math.min(length, maxBytes + 1 - length))]);
      }
      const { bytesRead } = await handle.read(buf, length, buf.length - length, length);
      if (bytesRead === 0) return buf.subarray(0, length);
      length += bytesRead;
    }
  } finally {
    await handle.close();
  }
}
