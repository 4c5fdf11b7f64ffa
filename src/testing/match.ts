/**
 * Matching what a case expects against what came out, as pure functions.
 *
 * - A value matches as a subset: every field an expected object gives must
 *   match the actual one's; arrays match element by element and in length;
 *   scalars must be equal.
 * - A topic's records match in order per key (a key's records share a
 *   partition, so only their order is defined; keyless records, in order per
 *   partition) and in number: an expectation
 *   takes the first record, at the head of its key's records not yet taken,
 *   that matches it. Records left over are unexpected; a topic expected empty
 *   must stay empty.
 */
import { isDeepStrictEqual } from 'node:util';

export interface OutputRecord {
  key: string | null;
  value: unknown;
  headers: Record<string, string>;
  partition: number;
  offset: string;
  timestamp: number;
}

export interface Expectation {
  /** Absent: any key. */
  key?: string | number | boolean | null | undefined;
  value?: unknown;
  headers?: Record<string, string> | undefined;
}

export interface Mismatch<E, A> {
  /** Expectations no record matched, with their index in the expanded list. */
  missing: Array<{ index: number; expected: E }>;
  /** Records no expectation took. */
  unexpected: A[];
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);
}

/** True when every field `expected` gives is in `actual` and matches. */
export function matchesSubset(expected: unknown, actual: unknown): boolean {
  if (isPlainObject(expected)) {
    if (!isPlainObject(actual)) return false;
    for (const [field, want] of Object.entries(expected)) {
      if (!Object.hasOwn(actual, field) || !matchesSubset(want, actual[field])) return false;
    }
    return true;
  }
  if (Array.isArray(expected)) return Array.isArray(actual) && actual.length === expected.length && expected.every((e, i) => matchesSubset(e, actual[i]));
  return isDeepStrictEqual(expected, actual);
}

/** A key as written in a test (YAML may read `1` as a number) against a record's key text. */
function keyMatches(expected: Expectation['key'], actual: string | null): boolean {
  if (expected === undefined) return true;
  if (expected === null) return actual === null;
  return actual === String(expected);
}

export function matchesRecord(expected: Expectation, actual: OutputRecord): boolean {
  if (!keyMatches(expected.key, actual.key)) return false;
  if (expected.value !== undefined && !matchesSubset(expected.value, actual.value)) return false;
  if (expected.headers !== undefined && !matchesSubset(expected.headers, actual.headers)) return false;
  return true;
}

/** Each expectation `count` times over. */
export function expand<E extends { count?: number | undefined }>(expected: readonly E[]): E[] {
  return expected.flatMap((e) => Array.from({ length: e.count ?? 1 }, () => e));
}

/**
 * Takes, for each expectation in order, the earliest record that is first among the untaken records
 * of its group and matches; undefined when everything matched.
 */
export function matchInOrder<E, A>(expected: readonly E[], actual: readonly A[], groupOf: (a: A) => string, matches: (e: E, a: A) => boolean): Mismatch<E, A> | undefined {
  const queues = new Map<string, A[]>();
  for (const a of actual) {
    const group = groupOf(a);
    let queue = queues.get(group);
    if (queue === undefined) queues.set(group, (queue = []));
    queue.push(a);
  }
  const order = new Map(actual.map((a, i) => [a, i]));
  const missing: Mismatch<E, A>['missing'] = [];
  expected.forEach((e, index) => {
    let best: A[] | undefined;
    for (const queue of queues.values()) {
      const head = queue[0];
      if (head !== undefined && matches(e, head) && (best === undefined || order.get(head)! < order.get(best[0]!)!)) best = queue;
    }
    if (best === undefined) missing.push({ index, expected: e });
    else best.shift();
  });
  const left = new Set([...queues.values()].flat());
  const unexpected = actual.filter((a) => left.has(a));
  return missing.length === 0 && unexpected.length === 0 ? undefined : { missing, unexpected };
}

/** Decoded values as a test file writes them: bytes as text, 64-bit integers as numbers when they fit. */
export function plain(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(plain);
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = plain(v);
    return out;
  }
  return value;
}
