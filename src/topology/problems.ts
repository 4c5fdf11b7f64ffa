/**
 * A Problem is one thing wrong with a topology file, placed at file:line:column
 * with the path of the offending value, what is wrong and, where we can tell,
 * how to fix it. Validation collects every problem instead of stopping at the first.
 */
import { ErrorCodes, SluiceError, type ErrorCode } from '../core/index.ts';

export interface Problem {
  code: ErrorCode;
  message: string;
  file: string;
  line: number;
  column: number;
  /** Where in the document: `nodes.clean.process[0].filter`, `topics["users.raw"]`. */
  path: string;
  hint?: string;
}

export type PathSegment = string | number;

/** A problem before it is placed: where in the document, what, and how to fix it. */
export interface Finding {
  code: ErrorCode;
  path: PathSegment[];
  message: string;
  hint?: string;
  /** Point at the key of the last path segment instead of its value (unknown keys, a whole node). */
  atKey?: boolean;
  warning?: boolean;
}

const identifier = /^[A-Za-z_$][\w$-]*$/;

export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (identifier.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** `file:line:col: error CODE: message (hint)`: the line editors and CI annotate. */
export function formatProblem(p: Problem, severity: 'error' | 'warning' = 'error'): string {
  return `${p.file}:${p.line}:${p.column}: ${severity} ${p.code}: ${p.message}${p.hint ? ` (${p.hint})` : ''}`;
}

/** Thrown by loadTopology; carries every problem found, not only the first. */
export class TopologyValidationError extends SluiceError {
  readonly problems: readonly Problem[];

  constructor(file: string, problems: readonly Problem[]) {
    const first = problems[0];
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
    super(ErrorCodes.TOPOLOGY_INVALID, `${first ? first.message : 'invalid topology'}${more}`, {
      context: first ? { file: first.file, line: first.line, column: first.column, path: first.path } : { file },
    });
    this.problems = problems;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), problems: this.problems };
  }
}
