/**
 * Collects problems and places them: a path into the document is mapped back
 * to the YAML node it came from (through aliases), and its offset to
 * line:column, so every message points at the text the user must edit.
 */
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import type { ErrorCode } from '../core/index.ts';
import { formatPath, type Finding, type PathSegment, type Problem } from './problems.ts';

export interface ReportOptions {
  hint?: string;
  /** Point at the key of the last path segment instead of its value (unknown keys, duplicates). */
  atKey?: boolean;
  warning?: boolean;
}

/** The node at `path` (through aliases) and its offset, or the offset of the deepest ancestor that exists. */
function walk(doc: Document, path: readonly PathSegment[], atKey: boolean): { offset: number; node?: Node } {
  let node: unknown = doc.contents;
  let offset = (node as Node | null)?.range?.[0] ?? 0;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i] as PathSegment;
    for (let hops = 0; isAlias(node) && hops < 100; hops++) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (pair === undefined) return { offset };
      const keyOffset = (pair.key as Node).range?.[0] ?? offset;
      if (atKey && i === path.length - 1) return { offset: keyOffset };
      node = pair.value;
      offset = (node as Node | null)?.range?.[0] ?? keyOffset;
    } else if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg];
      if (node === undefined) return { offset };
      offset = (node as Node).range?.[0] ?? offset;
    } else {
      return { offset };
    }
  }
  for (let hops = 0; isAlias(node) && hops < 100; hops++) node = node.resolve(doc);
  return { offset, ...(isScalar(node) ? { node } : {}) };
}

/** The offset of the node at `path`, or of the deepest ancestor that exists. */
export function offsetAt(doc: Document, path: readonly PathSegment[], atKey = false): number {
  return walk(doc, path, atKey).offset;
}

/**
 * Where each `${` inside the scalar at `path` was written in the source text,
 * in order, and where the scalar starts (the place for a reference escapes
 * hide, when the source differs from the value).
 */
export function referenceOffsetsAt(doc: Document, source: string, path: readonly PathSegment[]): { start: number; references: number[] } {
  const { offset, node } = walk(doc, path, false);
  const range = node?.range;
  if (range === undefined || range === null) return { start: offset, references: [] };
  const references: number[] = [];
  for (let at = source.indexOf('${', range[0]); at !== -1 && at < range[1]; at = source.indexOf('${', at + 1)) references.push(at);
  return { start: range[0], references };
}

export class Reporter {
  readonly problems: Problem[] = [];
  readonly warnings: Problem[] = [];
  private doc: Document | undefined;
  private lineCounter: LineCounter | undefined;
  private source = '';
  /** Reference offsets per value, found once: a value may hold 50,000 references with an issue each. */
  private readonly references = new Map<string, { start: number; references: number[] }>();

  constructor(readonly file: string) {}

  /** Once the text is parsed, paths can be placed. */
  attach(doc: Document | undefined, lineCounter: LineCounter, source: string): void {
    this.doc = doc;
    this.lineCounter = lineCounter;
    this.source = source;
  }

  get failed(): boolean {
    return this.problems.length > 0;
  }

  atOffset(code: ErrorCode, offset: number, message: string, path: readonly PathSegment[] = [], options: ReportOptions = {}): void {
    const pos = this.lineCounter?.linePos(offset) ?? { line: 1, col: 1 };
    const problem: Problem = {
      code,
      message,
      file: this.file,
      line: Math.max(1, pos.line),
      column: Math.max(1, pos.col),
      path: formatPath(path),
      ...(options.hint ? { hint: options.hint } : {}),
    };
    (options.warning ? this.warnings : this.problems).push(problem);
  }

  at(code: ErrorCode, path: readonly PathSegment[], message: string, options: ReportOptions = {}): void {
    const offset = this.doc === undefined ? 0 : offsetAt(this.doc, path, options.atKey);
    this.atOffset(code, offset, message, path, options);
  }

  /** At the `nth` `${` of the string value at `path`. */
  atReference(code: ErrorCode, path: readonly PathSegment[], nth: number, message: string, options: ReportOptions = {}): void {
    const doc = this.doc;
    if (doc === undefined) return this.atOffset(code, 0, message, path, options);
    const key = formatPath(path);
    let found = this.references.get(key);
    if (found === undefined) this.references.set(key, (found = referenceOffsetsAt(doc, this.source, path)));
    this.atOffset(code, found.references[nth] ?? found.start, message, path, options);
  }

  add(f: Finding): void {
    this.at(f.code, f.path, f.message, f);
  }
}
