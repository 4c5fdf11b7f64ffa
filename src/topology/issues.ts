/**
 * Turns zod's issues into messages a person can act on: the subject (which
 * node or topic), what is wrong in the file's own words, and a fix where one
 * can be guessed (the closest allowed key, the field's purpose).
 */
import type { z } from 'zod';
import { ErrorCodes, type ErrorCode } from '../core/index.ts';
import type { Finding, PathSegment } from './problems.ts';
import { didYouMean } from './suggest.ts';
import { allowedKeysAt, descriptionAt, nounAt } from './zod-walk.ts';

type Issue = z.core.$ZodIssue;
type Schema = z.core.$ZodType;


const subjects: Readonly<Record<string, string>> = { nodes: 'node', topics: 'topic', schemas: 'schema' };

/** "node `clean`: " for paths inside a node, topic or schema entry. */
function subjectOf(path: readonly PathSegment[]): string {
  const noun = subjects[String(path[0])];
  return noun !== undefined && path.length >= 2 ? `${noun} \`${String(path[1])}\`: ` : '';
}

/** The field a message is about, as the file spells it: `to`, `process[0].filter.gte`. */
function fieldOf(path: readonly PathSegment[]): string {
  const rest = subjectOf(path) === '' ? path : path.slice(2);
  let out = '';
  for (const seg of rest) out += typeof seg === 'number' ? `[${seg}]` : out === '' ? seg : `.${seg}`;
  return out;
}

function valueAt(data: unknown, path: readonly PathSegment[]): unknown {
  let cur = data;
  for (const seg of path) {
    if (typeof cur !== 'object' || cur === null || !Object.hasOwn(cur, seg)) return undefined;
    cur = (cur as Record<PathSegment, unknown>)[seg];
  }
  return cur;
}

function describeType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `the text ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  if (typeof v === 'number') return Number.isInteger(v) ? `the integer ${v}` : `the number ${v}`;
  return `${typeof v} ${String(v)}`;
}

const expectedNames: Readonly<Record<string, string>> = {
  string: 'text',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
  null: 'null',
};

function expectedName(expected: string): string {
  return expectedNames[expected] ?? expected;
}

function showValues(values: readonly unknown[]): string {
  return values.map((v) => `\`${String(v)}\``).join(', ');
}

class Mapper {
  readonly out: Finding[] = [];

  constructor(
    private readonly root: Schema,
    private readonly data: unknown,
  ) {}

  private push(code: ErrorCode, path: PathSegment[], message: string, hint?: string, atKey?: boolean): void {
    this.out.push({ code, path, message: subjectOf(path) + message, ...(hint ? { hint } : {}), ...(atKey ? { atKey } : {}) });
  }

  map(issue: Issue, base: readonly PathSegment[]): void {
    const path = [...base, ...(issue.path as PathSegment[])];
    const field = fieldOf(path);
    const name = field === '' ? 'the file' : `\`${field}\``;
    switch (issue.code) {
      case 'invalid_type': {
        const actual = valueAt(this.data, path);
        if (actual === undefined) {
          const description = descriptionAt(this.root, path);
          this.push(ErrorCodes.TOPOLOGY_INVALID, path, `missing \`${String(path[path.length - 1] ?? '')}\``, description);
        } else {
          this.push(ErrorCodes.TOPOLOGY_INVALID, path, `${name} must be ${expectedName(issue.expected)}, not ${describeType(actual)}`);
        }
        return;
      }
      case 'unrecognized_keys': {
        const allowed = allowedKeysAt(this.root, path);
        const noun = nounAt(this.root, path);
        for (const key of issue.keys) {
          const suggestion = didYouMean(key, allowed);
          const hint = suggestion || (allowed.length > 0 ? `expected one of ${showValues(allowed)}` : undefined);
          if (noun === 'processor') {
            this.push(ErrorCodes.TOPOLOGY_PROCESSOR_UNKNOWN, [...path, key], `unknown processor \`${key}\``, hint, true);
          } else {
            this.push(ErrorCodes.TOPOLOGY_INVALID, [...path, key], `unknown ${noun ?? 'key'} \`${key}\`${field ? ` in \`${field}\`` : ''}`, hint, true);
          }
        }
        return;
      }
      case 'invalid_union':
        this.mapUnion(issue, path, name);
        return;
      case 'invalid_value': {
        const actual = valueAt(this.data, path);
        const hint = typeof actual === 'string' ? didYouMean(actual, issue.values.map(String)) : '';
        this.push(ErrorCodes.TOPOLOGY_INVALID, path, `${name} must be ${issue.values.length === 1 ? '' : 'one of '}${showValues(issue.values)}, not ${describeType(actual)}`, hint);
        return;
      }
      case 'too_small':
      case 'too_big': {
        const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
        const word = issue.code === 'too_small' ? 'at least' : 'at most';
        const what =
          issue.origin === 'array' ? `${name} needs ${word} ${bound} item${bound === 1 ? '' : 's'}`
          : issue.origin === 'string' ? (issue.code === 'too_small' && bound === 1 ? `${name} must not be empty` : `${name} must be ${word} ${bound} characters`)
          : `${name} must be ${issue.inclusive === false ? (issue.code === 'too_small' ? 'more than' : 'less than') : word} ${bound}`;
        this.push(ErrorCodes.TOPOLOGY_INVALID, path, what);
        return;
      }
      case 'invalid_key': {
        const key = String(path[path.length - 1] ?? '');
        for (const inner of issue.issues) {
          this.push(ErrorCodes.TOPOLOGY_INVALID, path, `invalid name \`${key}\`: ${inner.message}`, undefined, true);
        }
        return;
      }
      case 'custom': {
        const code = (issue.params?.code as ErrorCode | undefined) ?? ErrorCodes.TOPOLOGY_INVALID;
        // A complaint about a whole mapping (a node that reads nothing) points at its key, where the reader looks.
        const whole = typeof valueAt(this.data, path) === 'object' && path.length > 0;
        this.push(code, path, issue.message, undefined, whole);
        return;
      }
      default: {
        const actual = valueAt(this.data, path);
        this.push(ErrorCodes.TOPOLOGY_INVALID, path, `${name}${actual === undefined ? '' : ` (${describeType(actual)})`}: ${issue.message}`);
      }
    }
  }

  /**
   * A union failed every branch. If some branch got the right kind of value
   * (its issues are deeper than the union itself), its issues are the useful
   * ones; otherwise the value is the wrong kind for every branch.
   */
  private mapUnion(issue: Extract<Issue, { code: 'invalid_union' }>, path: PathSegment[], name: string): void {
    const onlyUnknownKeys = issue.errors.every((branch) => branch.length > 0 && branch.every((i) => i.path.length === 0 && i.code === 'unrecognized_keys'));
    if (onlyUnknownKeys) {
      const value = valueAt(this.data, path);
      const keys = typeof value === 'object' && value !== null ? Object.keys(value) : [];
      this.push(ErrorCodes.TOPOLOGY_INVALID, path, `${name} mixes keys of different forms (${showValues(keys)}); use one form`, descriptionAt(this.root, path));
      return;
    }
    const matching = issue.errors.filter((branch) => !branch.some((i) => i.path.length === 0 && (i.code === 'invalid_type' || i.code === 'invalid_value')));
    if (matching.length > 0) {
      const best = matching.reduce((a, b) => (b.length < a.length ? b : a));
      for (const inner of best) this.map(inner, path);
      return;
    }
    const kinds = new Set<string>();
    for (const branch of issue.errors) {
      for (const i of branch) {
        if (i.path.length !== 0) continue;
        if (i.code === 'invalid_type') kinds.add(expectedName(i.expected));
        if (i.code === 'invalid_value') for (const v of i.values) kinds.add(`\`${String(v)}\``);
      }
    }
    const actual = valueAt(this.data, path);
    this.push(ErrorCodes.TOPOLOGY_INVALID, path, `${name} must be ${[...kinds].join(' or ')}, not ${describeType(actual)}`, descriptionAt(this.root, path));
  }
}

function samePath(a: readonly PropertyKey[], b: readonly PropertyKey[]): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}

/** Maps every issue; a refinement's complaint about an object that also has unknown keys is dropped as noise. */
export function mapZodIssues(issues: readonly Issue[], root: Schema, data: unknown): Finding[] {
  const unknownAt = issues.filter((i) => i.code === 'unrecognized_keys').map((i) => i.path);
  const mapper = new Mapper(root, data);
  for (const issue of issues) {
    if (issue.code === 'custom' && unknownAt.some((p) => samePath(p, issue.path))) continue;
    mapper.map(issue, []);
  }
  return mapper.out;
}
