/**
 * How far a finite source got, as stored in its compacted
 * `<topology>.<node>.source-offsets` topic (Kafka Connect keeps a file
 * source's offset the same way), and whether a restart may continue from it.
 *
 * A file's position is the byte offset after the last line whose records are
 * all acknowledged downstream, with that line's number; an Avro container's is
 * a count of records. With it goes the file's identity: device and inode (a
 * rotated or replaced file is another inode), the size the position needs, and
 * a hash of the file's first bytes (a file rewritten in place, same inode,
 * starts differently). A counted generator stores how many it produced. Pure:
 * the caller reads the file.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';

/** Bytes of the file's start that the identity hashes (fewer when the position is nearer the start). */
export const HEAD_BYTES = 4096;

const FileIdentitySchema = z.strictObject({
  dev: z.string(),
  ino: z.string(),
  /** The file is at least this long while the position holds. */
  size: z.number().int().min(0),
  headLength: z.number().int().min(0).max(HEAD_BYTES),
  /** sha256 of the first `headLength` bytes, hex. */
  headHash: z.string().regex(/^[0-9a-f]{64}$/),
});

const SourcePositionSchema = z.strictObject({
  /** Bytes (line files) or records (Avro containers, generators) before the next to read. */
  next: z.number().int().min(0),
  /** Line (or record) number of the last one read; numbering goes on from it. */
  line: z.number().int().min(0),
  file: FileIdentitySchema.optional(),
});

export type FileIdentity = z.infer<typeof FileIdentitySchema>;
export type SourcePosition = z.infer<typeof SourcePositionSchema>;

export function encodePosition(position: SourcePosition): string {
  return JSON.stringify(position);
}

/** The stored position, or why it cannot be used (it is then ignored, and the source starts over). */
export function decodePosition(bytes: Buffer | string): { ok: true; position: SourcePosition } | { ok: false; reason: string } {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString());
  } catch (err) {
    return { ok: false, reason: `not JSON: ${(err as Error).message}` };
  }
  const parsed = SourcePositionSchema.safeParse(json);
  return parsed.success ? { ok: true, position: parsed.data } : { ok: false, reason: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
}

export function hashHead(head: Buffer): string {
  return createHash('sha256').update(head).digest('hex');
}

/** The file as it is now: its inode and size, and a way to hash its first bytes. */
export interface FileNow {
  dev: string;
  ino: string;
  size: number;
  headHash(length: number): string;
}

export type Resume =
  | { from: 'stored'; next: number; line: number }
  | { from: 'start'; reason: 'none' | 'replaced' | 'truncated' | 'rewritten' };

/** Whether the file a position was stored for is still the file there, grown or not. */
export function resumeFrom(stored: SourcePosition | undefined, now: FileNow): Resume {
  const file = stored?.file;
  if (stored === undefined || file === undefined) return { from: 'start', reason: 'none' };
  if (file.dev !== now.dev || file.ino !== now.ino) return { from: 'start', reason: 'replaced' };
  if (now.size < file.size) return { from: 'start', reason: 'truncated' };
  if (now.headHash(file.headLength) !== file.headHash) return { from: 'start', reason: 'rewritten' };
  return { from: 'stored', next: stored.next, line: stored.line };
}
