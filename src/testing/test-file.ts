/**
 * A `*.test.yaml` file: which topology it tests, with what environment, and
 * its cases: records in by topic (or by a node whose source is a file or
 * stdin), records expected out by topic (or by a node whose sink is a file or
 * stdout), and dead letters expected by error code. Read as defensively as a
 * topology file (the same bounded YAML reader) and every problem placed at
 * file:line:col.
 */
import path from 'node:path';
import { z } from 'zod';
import { ErrorCodes, isSluiceError, readRegularFile } from '../core/index.ts';
import { parseDuration } from '../processors/index.ts';
import { DEFAULT_MAX_BYTES, defaultYamlLimits, mapZodIssues, offsetAt, parseYaml, Reporter, type PathSegment, type Problem } from '../topology/index.ts';

const Scalar = z.union([z.string(), z.number(), z.boolean()]);

const Timestamp = z.union([
  z.number().int().nonnegative(),
  z.string().refine((t) => !Number.isNaN(Date.parse(t)), { message: 'not an ISO-8601 time' }),
]);

/**
 * One record sent in: `value` through the topic's codec (a string the codec refuses, such as text for an
 * Avro topic, is sent as its bytes), or `raw`, bytes exactly as written, to test bad input.
 */
const InputRecord = z.strictObject({
  key: Scalar.nullable().optional(),
  value: z.unknown().optional(),
  raw: z.string().optional(),
  headers: z.record(z.string(), z.string()).optional(),
  timestamp: Timestamp.optional(),
  partition: z.number().int().nonnegative().optional(),
});

/** One record expected out: the fields given must match (value as a subset); `count` repeats it. */
const ExpectedRecord = z.strictObject({
  key: Scalar.nullable().optional(),
  value: z.unknown().optional(),
  headers: z.record(z.string(), z.string()).optional(),
  count: z.number().int().positive().optional(),
});

const ExpectedDeadLetter = z.strictObject({
  code: z.string().optional(),
  /** A part of the error message. */
  message: z.string().optional(),
  count: z.number().int().positive().optional(),
});

const Duration = z.union([z.number().int().nonnegative(), z.string().refine((d) => parseDuration(d) !== undefined, { message: 'not a duration (30s, 2m, 1h)' })]);

const TestCase = z.strictObject({
  name: z.string().min(1),
  input: z.record(z.string(), z.array(InputRecord)).default({}),
  /** After the input: event time moves on this much past the latest any record carried, closing windows. */
  advance: Duration.optional(),
  expect: z.record(z.string(), z.array(ExpectedRecord)).default({}),
  'expect-dead-letters': z.record(z.string(), z.array(ExpectedDeadLetter)).default({}),
});

export const TestFileSchema = z.strictObject({
  topology: z.string().min(1),
  env: z.record(z.string(), z.string()).default({}),
  tests: z.array(TestCase).min(1),
});

export type InputRecordSpec = z.infer<typeof InputRecord>;
export type ExpectedRecordSpec = z.infer<typeof ExpectedRecord>;
export type ExpectedDeadLetterSpec = z.infer<typeof ExpectedDeadLetter>;

export interface TestCaseSpec {
  name: string;
  input: Record<string, InputRecordSpec[]>;
  /** Milliseconds. */
  advance?: number;
  expect: Record<string, ExpectedRecordSpec[]>;
  expectDeadLetters: Record<string, ExpectedDeadLetterSpec[]>;
  /** Where the case starts in its file, for reports. */
  line: number;
}

export interface TestFile {
  file: string;
  /** Absolute. */
  topology: string;
  env: Record<string, string>;
  cases: TestCaseSpec[];
}

/** A problem placed at the key a path of the test file ends with (file:line:col). */
export type PlaceProblem = (path: readonly PathSegment[], message: string) => Problem;

export type TestFileResult = { testFile: TestFile; problems: []; place: PlaceProblem } | { testFile?: undefined; problems: Problem[] };

/** Milliseconds since the epoch of an input timestamp. */
export function timestampOf(t: number | string): number {
  return typeof t === 'number' ? t : Date.parse(t);
}

export async function readTestFile(file: string): Promise<TestFileResult> {
  const reporter = new Reporter(file);
  let text: string;
  try {
    text = (await readRegularFile(path.resolve(file), DEFAULT_MAX_BYTES, 'the test file')).toString('utf8');
  } catch (err) {
    const message = isSluiceError(err) ? err.message : (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : `cannot read the file (${String(err)})`;
    reporter.atOffset(ErrorCodes.TEST_INVALID, 0, message);
    return { problems: reporter.problems };
  }
  const parsed = parseYaml(text, defaultYamlLimits);
  reporter.attach(parsed.doc, parsed.lineCounter, text);
  for (const i of parsed.issues) reporter.atOffset(i.code, i.offset, i.message, i.path ?? []);
  if (parsed.data === undefined || reporter.failed) return { problems: reporter.problems };
  const result = TestFileSchema.safeParse(parsed.data);
  if (!result.success) {
    for (const f of mapZodIssues(result.error.issues, TestFileSchema, parsed.data)) reporter.add({ ...f, code: ErrorCodes.TEST_INVALID });
    return { problems: reporter.problems };
  }
  const { topology, env, tests } = result.data;
  const lineOf = (i: number): number => parsed.lineCounter.linePos(parsed.doc === undefined ? 0 : offsetAt(parsed.doc, ['tests', i])).line;
  const place: PlaceProblem = (at, message) => {
    reporter.at(ErrorCodes.TEST_INVALID, at, message, { atKey: true });
    return reporter.problems.pop()!;
  };
  return {
    problems: [],
    place,
    testFile: {
      file,
      topology: path.resolve(path.dirname(path.resolve(file)), topology),
      env,
      cases: tests.map((t, i) => ({
        name: t.name,
        input: t.input,
        ...(t.advance !== undefined ? { advance: typeof t.advance === 'number' ? t.advance : parseDuration(t.advance)! } : {}),
        expect: t.expect,
        expectDeadLetters: t['expect-dead-letters'],
        line: lineOf(i),
      })),
    },
  };
}
