/**
 * The framing of an Avro object container file, as pure functions: the
 * header (magic, metadata with the writer schema and block codec, a 16-byte
 * sync marker) and the blocks after it (record count, byte size, the records
 * as written by the codec, the sync marker again). A sink that writes the
 * blocks itself knows exactly which records are in the bytes it made durable,
 * and can append to an existing file under its header and sync marker.
 */
import avro from 'avsc';

const MAGIC = Buffer.from('Obj\x01', 'latin1');
export const SYNC_BYTES = 16;

const headerType = avro.Type.forSchema({
  type: 'record',
  name: 'org.apache.avro.file.Header',
  fields: [
    { name: 'magic', type: { type: 'fixed', name: 'Magic', size: 4 } },
    { name: 'meta', type: { type: 'map', values: 'bytes' } },
    { name: 'sync', type: { type: 'fixed', name: 'Sync', size: SYNC_BYTES } },
  ],
});
const longType = avro.Type.forSchema('long');

export interface ContainerHeader {
  /** The writer schema as the file states it (JSON text). */
  schema: string;
  /** The block codec (`null` when the file names none). */
  codec: string;
  sync: Buffer;
  /** Bytes the header takes at the start of the file. */
  length: number;
}

export function encodeContainerHeader(schema: string, codec: string, sync: Buffer): Buffer {
  return headerType.toBuffer({ magic: MAGIC, meta: { 'avro.schema': Buffer.from(schema), 'avro.codec': Buffer.from(codec) }, sync });
}

/**
 * The header at the start of `head`: `incomplete` when more bytes are needed,
 * `not-avro` when the bytes cannot start a container file.
 */
export function decodeContainerHeader(head: Buffer): ContainerHeader | 'incomplete' | 'not-avro' {
  if (head.length < MAGIC.length) return MAGIC.subarray(0, head.length).equals(head) ? 'incomplete' : 'not-avro';
  if (!head.subarray(0, MAGIC.length).equals(MAGIC)) return 'not-avro';
  let decoded: { value: unknown; offset: number };
  try {
    decoded = headerType.decode(head, 0);
  } catch {
    return 'not-avro';
  }
  if (decoded.offset < 0) return 'incomplete';
  const { meta, sync } = decoded.value as { meta: Record<string, Buffer>; sync: Buffer };
  const schema = meta['avro.schema'];
  if (schema === undefined) return 'not-avro';
  return { schema: schema.toString('utf8'), codec: meta['avro.codec']?.toString('utf8') ?? 'null', sync, length: decoded.offset };
}

/** One block: `count` records whose encoded (and block-compressed) bytes are `data`. */
export function encodeContainerBlock(count: number, data: Buffer, sync: Buffer): Buffer {
  return Buffer.concat([longType.toBuffer(count), longType.toBuffer(data.length), data, sync]);
}

/**
 * Where the last whole block of `tail` ends: one past the last sync marker
 * in it, or -1 when it holds none. A file cut in the middle of a block (a
 * crash while writing) is whole up to there.
 */
export function endOfLastBlock(tail: Buffer, sync: Buffer): number {
  const at = tail.lastIndexOf(sync);
  return at < 0 ? -1 : at + sync.length;
}
