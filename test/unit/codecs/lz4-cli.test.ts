import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../../src/core/index.ts';
import { createCodecChain, decodeLz4Frame, encodeLz4Frame } from '../../../src/codecs/index.ts';

/**
 * Interop with the reference `lz4` command-line tool (Debian package `lz4`):
 * it must read what sluice writes and sluice must read what it writes.
 */

function findLz4(): string {
  const candidates = ['/usr/bin/lz4', ...(process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'lz4'))];
  for (const path of candidates) {
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // try the next one
    }
  }
  throw new Error('the reference lz4 command-line tool was not found (looked in /usr/bin and PATH); install it: apt-get install lz4');
}

const lz4 = findLz4();
const MiB = 1024 * 1024;

function cli(args: string[], input: Buffer): Buffer {
  return execFileSync(lz4, args, { input, maxBuffer: 64 * MiB, stdio: ['pipe', 'pipe', 'pipe'] });
}

const inputs: [string, Buffer][] = [
  ['empty', Buffer.alloc(0)],
  ['1 byte', Buffer.from([0x41])],
  ['unicode text', Buffer.from('Zoë Ångström 🚀 数据流程 '.repeat(500))],
  ['random', randomBytes(300_000)],
  ['10 MB, several blocks', Buffer.concat([randomBytes(2 * MiB), Buffer.alloc(8 * MiB, 'abc')])],
];

describe('lz4 CLI interop', () => {
  it('the CLI decompresses what sluice writes', () => {
    for (const [name, input] of inputs) {
      for (const options of [{}, { blockSize: 65536, contentSize: false, contentChecksum: false } as const]) {
        expect(cli(['-d', '-c'], encodeLz4Frame(input, options)).equals(input), name).toBe(true);
      }
    }
  });

  it('sluice decompresses what the CLI writes, with its options', () => {
    for (const [name, input] of inputs) {
      for (const args of [['-c'], ['-c', '-9'], ['-c', '--content-size'], ['-c', '-BX', '-B4'], ['-c', '--no-frame-crc']]) {
        expect(decodeLz4Frame(cli(args, input), 16 * MiB).equals(input), `${name} ${args.join(' ')}`).toBe(true);
      }
    }
  });

  it('a sluice lz4 chain reads and writes CLI frames', () => {
    const chain = createCodecChain('lz4');
    const input = Buffer.from('{"id":1}\n'.repeat(1000));
    expect(cli(['-d', '-c'], chain.encode(input)).equals(input)).toBe(true);
    expect((chain.decode(cli(['-c'], input)) as Buffer).equals(input)).toBe(true);
  });

  it('refuses linked blocks past the first with a clear error instead of wrong output', () => {
    const input = Buffer.concat([randomBytes(MiB), randomBytes(MiB)]);
    const linked = cli(['-c', '-BD', '-B4'], input);
    expect(() => decodeLz4Frame(linked, 16 * MiB)).toThrow(expect.objectContaining({ code: ErrorCodes.DECOMPRESS, message: expect.stringContaining('linked blocks') }));
  });
});
