/**
 * A file sink must never write a file the topology also reads or is made of:
 * appending onto its own input file feeds the stage its own output without
 * end, and writing over the topology file, a schema, a module or a key file
 * destroys them. Two sinks on one file interleave their lines (or break an
 * Avro container). Paths compare as real paths (symbolic links resolved
 * where the file exists) and, for files that exist, by device and inode, so a
 * hard link is the same file too. Pure: the caller resolves the paths.
 */
import type { PathSegment } from './problems.ts';

export interface PathUse {
  /** Real path (symbolic links resolved as far as the path exists). */
  readonly path: string;
  /** `device:inode` of a file that exists. */
  readonly identity?: string;
  /** What the file is to the topology, for messages: "the input file of node `a`". */
  readonly role: string;
  /** Where the file is named in the topology file (absent for the file itself and the key file). */
  readonly at?: readonly PathSegment[];
  /** A file sink: the use that gets reported. */
  readonly sink: boolean;
}

export interface PathClash {
  /** The sink whose `file:` is reported. */
  readonly sink: PathUse & { readonly at: readonly PathSegment[] };
  /** What else that file is: another sink named earlier, or a file read. */
  readonly other: PathUse;
}

function sameFile(a: PathUse, b: PathUse): boolean {
  return a.path === b.path || (a.identity !== undefined && a.identity === b.identity);
}

/**
 * Every sink that names a file used otherwise: each read file it clashes
 * with, and, between sinks, the later one against the first that named it.
 */
export function pathClashes(uses: readonly PathUse[]): PathClash[] {
  const out: PathClash[] = [];
  uses.forEach((use, i) => {
    if (!use.sink || use.at === undefined) return;
    const sink = use as PathClash['sink'];
    for (const other of uses) {
      if (other !== use && !other.sink && sameFile(use, other)) out.push({ sink, other });
    }
    const earlier = uses.slice(0, i).find((other) => other.sink && sameFile(use, other));
    if (earlier !== undefined) out.push({ sink, other: earlier });
  });
  return out;
}
