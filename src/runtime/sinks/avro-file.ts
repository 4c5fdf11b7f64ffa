/**
 * An Avro object container file sink (`format: avro`). It writes the blocks
 * itself, one per batch, so a record's input is done only once the block that
 * holds it is on disk (fdatasync). An existing file is appended to under its
 * own header: same sync marker, same block codec, one header in the file; its
 * writer schema must be the sink's (else the stage refuses to start, naming
 * the file). A block cut short by a crash mid-write was never acknowledged,
 * so the file is cut back to its last whole block before appending.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { deflateRaw } from 'node:zlib';
import avro, { type Type } from 'avsc';
import {
  SYNC_BYTES,
  coerceJsonForSchema,
  decodeContainerHeader,
  encodeContainerBlock,
  encodeContainerHeader,
  endOfLastBlock,
  logicalTypes,
  type ContainerHeader,
} from '../../codecs/index.ts';
import { ErrorCodes, SluiceError, type Logger } from '../../core/index.ts';
import type { ErrorChannel } from '../step.ts';
import { BatchSink } from './batch-sink.ts';

const deflate = promisify(deflateRaw);
/** A header larger than this (a schema of megabytes) is not one sluice would append to. */
const MAX_HEADER_BYTES = 16 * 1024 * 1024;
const TAIL_CHUNK = 64 * 1024;

const blockCodecs: Record<string, (data: Buffer) => Promise<Buffer>> = {
  null: async (data) => data,
  deflate: (data) => deflate(data),
};

function refuse(path: string, message: string): SluiceError {
  return new SluiceError(ErrorCodes.CONFIG_INVALID, `avro file ${path}: ${message}`, { context: { file: path } });
}

export interface AvroFileSinkOptions {
  path: string;
  type: Type;
  logger: Logger;
  onError: ErrorChannel;
}

export class AvroFileSink extends BatchSink<Buffer> {
  readonly #path: string;
  readonly #type: Type;
  readonly #logger: Logger;
  #handle: FileHandle | undefined;
  /** Where the next block goes: the end of the last whole block. */
  #end = 0;
  #sync: Buffer = Buffer.alloc(0);
  #compress: (data: Buffer) => Promise<Buffer> = blockCodecs.deflate!;

  constructor(options: AvroFileSinkOptions) {
    super(options.onError);
    this.#path = options.path;
    this.#type = options.type;
    this.#logger = options.logger;
  }

  get path(): string {
    return this.#path;
  }

  protected async open(): Promise<void> {
    await mkdir(dirname(this.#path), { recursive: true });
    const handle = await open(this.#path, 'r+').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return open(this.#path, 'w+');
      throw err;
    });
    this.#handle = handle;
    const { size } = await handle.stat();
    if (size === 0) {
      this.#sync = randomBytes(SYNC_BYTES);
      const schema = JSON.stringify(this.#type.schema({ exportAttrs: true }));
      const head = encodeContainerHeader(schema, 'deflate', this.#sync);
      await handle.write(head, 0, head.length, 0);
      await handle.datasync();
      this.#end = head.length;
      return;
    }
    const header = await this.#readHeader(handle, size);
    const written = avro.Type.forSchema(JSON.parse(header.schema) as avro.Schema, { logicalTypes });
    if (!written.fingerprint().equals(this.#type.fingerprint())) {
      throw refuse(this.#path, `it holds records of another schema (\`${written.name ?? written.typeName}\`, fingerprint ${written.fingerprint().toString('hex')}) than the sink's; give the sink another file, or \`mode: overwrite\``);
    }
    const compress = blockCodecs[header.codec];
    if (compress === undefined) throw refuse(this.#path, `its block codec \`${header.codec}\` is not one sluice writes (null, deflate)`);
    this.#compress = compress;
    this.#sync = header.sync;
    this.#end = await this.#cutTornBlock(handle, size, header);
  }

  async #readHeader(handle: FileHandle, size: number): Promise<ContainerHeader> {
    for (let want = Math.min(size, 4096); ; want = Math.min(size, want * 4)) {
      const head = Buffer.alloc(want);
      await handle.read(head, 0, want, 0);
      const header = decodeContainerHeader(head);
      if (header === 'not-avro') throw refuse(this.#path, 'it exists and is not an Avro object container file; a sink appends to one, and never overwrites another file');
      if (header !== 'incomplete') return header;
      if (want === size || want >= MAX_HEADER_BYTES) throw refuse(this.#path, 'its header is cut short or too large to append to');
    }
  }

  /** Truncates a last block cut short (no sync marker after it) back to the end of the last whole one, and returns that end. */
  async #cutTornBlock(handle: FileHandle, size: number, header: ContainerHeader): Promise<number> {
    let end = size;
    for (;;) {
      const start = Math.max(header.length - SYNC_BYTES, end - TAIL_CHUNK);
      const tail = Buffer.alloc(end - start);
      await handle.read(tail, 0, tail.length, start);
      const whole = endOfLastBlock(tail, this.#sync);
      if (whole >= 0) {
        const cut = start + whole;
        if (cut < size) {
          this.#logger.warn({ file: this.#path, offset: cut, bytes: size - cut }, 'the file ends in a block cut short (a write never acknowledged); cutting it back to the last whole block');
          await handle.truncate(cut);
          await handle.datasync();
        }
        return cut;
      }
      // The header ends with the sync marker, so the search always ends; a marker across chunks is caught by the overlap.
      end = start + SYNC_BYTES - 1;
    }
  }

  protected format(values: readonly unknown[]): Buffer {
    const parts = new Array<Buffer>(values.length);
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      parts[i] = this.#type.toBuffer(this.#type.isValid(value) ? value : coerceJsonForSchema(this.#type, value, { allowUnknownFields: true }));
    }
    return Buffer.concat(parts);
  }

  protected async append(data: Buffer, count: number): Promise<void> {
    const handle = this.#handle!;
    const block = encodeContainerBlock(count, await this.#compress(data), this.#sync);
    await handle.write(block, 0, block.length, this.#end);
    await handle.datasync();
    this.#end += block.length;
  }

  protected async release(): Promise<void> {
    const handle = this.#handle;
    this.#handle = undefined;
    await handle?.close();
  }
}
