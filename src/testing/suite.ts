/**
 * Runs test files: finds `*.test.yaml` under directories, loads each file's
 * topology once, runs its cases one after another (each on a broker of its
 * own) and checks every expectation, so one failing case reports all that is
 * wrong with it.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { isSluiceError, type Logger } from '../core/index.ts';
import type { DeadLetter } from '../runtime/index.ts';
import { loadTopology, TopologyValidationError, type Problem } from '../topology/index.ts';
import { runCase, type CaseContext } from './case-run.ts';
import { faultsUnsupported, runCaseWithFaults, type FaultOptions } from './faults.ts';
import { checkTargets } from './targets.ts';
import type { TestDriverOptions } from './driver.ts';
import { expand, matchesRecord, matchInOrder, type OutputRecord } from './match.ts';
import { readTestFile, type ExpectedDeadLetterSpec, type ExpectedRecordSpec, type TestCaseSpec } from './test-file.ts';

export interface Failure {
  /** The topic, node or dead-letter topic the failure is about; absent for a run that failed. */
  target?: string;
  message: string;
  /** Expectations nothing matched, as written. */
  missing?: unknown[];
  /** What came out that nothing expected. */
  unexpected?: unknown[];
}

export interface CaseResult {
  name: string;
  line: number;
  passed: boolean;
  failures: Failure[];
  durationMs: number;
  /** Why the case did not run (it neither passed nor failed). */
  skipped?: string;
  /** With --faults: how many times every stage was crashed. */
  crashes?: number;
}

export interface FileResult {
  file: string;
  /** A test file (or its topology) that cannot be run: no case ran. */
  problems: Problem[];
  cases: CaseResult[];
}

const TEST_FILE = /\.test\.ya?ml$/;

/** Test files under each path, in name order; a file given by name is taken whatever its name. */
export async function findTestFiles(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory() && entry.name !== 'node_modules' && !entry.name.startsWith('.')) await walk(full);
      else if (entry.isFile() && TEST_FILE.test(entry.name)) out.push(full);
    }
  };
  for (const p of paths) {
    if ((await stat(p).catch(() => undefined))?.isDirectory() === true) await walk(p);
    else out.push(p);
  }
  return out;
}

/** What a record looks like in a report: the fields a test file would write. */
function shown(r: OutputRecord): unknown {
  return { key: r.key, value: r.value, ...(Object.keys(r.headers).length > 0 ? { headers: r.headers } : {}), partition: r.partition, offset: Number(r.offset) };
}

function shownDeadLetter(d: DeadLetter): unknown {
  return { code: d.code, message: d.message, stage: d.stage, original: d.original };
}

function counted(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function checkRecords(target: string, expected: readonly ExpectedRecordSpec[], actual: readonly OutputRecord[]): Failure | undefined {
  const wanted = expand(expected);
  // A key's records share a partition; keyless ones have an order only within theirs.
  const mismatch = matchInOrder(wanted, actual, (r) => (r.key === null ? `p${r.partition}` : `k${r.key}`), matchesRecord);
  if (mismatch === undefined) return undefined;
  return {
    target,
    message: `${target}: ${counted(actual.length, 'record')} out, ${wanted.length} expected; ${mismatch.missing.length} not matched, ${mismatch.unexpected.length} unexpected`,
    missing: mismatch.missing.map((m) => withoutCount(m.expected)),
    unexpected: mismatch.unexpected.map(shown),
  };
}

function withoutCount<E extends { count?: number | undefined }>(e: E): Omit<E, 'count'> {
  const { count: _count, ...rest } = e;
  return rest;
}

function deadLetterMatches(e: ExpectedDeadLetterSpec, d: DeadLetter): boolean {
  return (e.code === undefined || e.code === d.code) && (e.message === undefined || d.message.includes(e.message));
}

function checkDeadLetters(target: string, expected: readonly ExpectedDeadLetterSpec[], actual: readonly DeadLetter[]): Failure | undefined {
  const wanted = expand(expected);
  const mismatch = matchInOrder(wanted, actual, () => '', deadLetterMatches);
  if (mismatch === undefined) return undefined;
  return {
    target,
    message: `${target}: ${counted(actual.length, 'dead letter')}, ${wanted.length} expected; ${mismatch.missing.length} not matched, ${mismatch.unexpected.length} unexpected`,
    missing: mismatch.missing.map((m) => withoutCount(m.expected)),
    unexpected: mismatch.unexpected.map(shownDeadLetter),
  };
}

async function runChecked(ctx: CaseContext, spec: TestCaseSpec): Promise<Failure[]> {
  const outputs = await runCase(ctx, spec);
  const failures: Failure[] = [];
  for (const [target, expected] of Object.entries(spec.expect)) {
    const failure = checkRecords(target, expected, outputs.records.get(target) ?? []);
    if (failure !== undefined) failures.push(failure);
  }
  for (const [name, expected] of Object.entries(spec.expectDeadLetters)) {
    const failure = checkDeadLetters(name, expected, outputs.deadLetters.get(name) ?? []);
    if (failure !== undefined) failures.push(failure);
  }
  return failures;
}

export interface RunFileOptions {
  logger?: Logger;
  /** Instead of the expectations: outputs with a crash of every stage after every `every` input records against those without. */
  faults?: FaultOptions;
  /** Run the cases on Kafka (see TestDriverOptions.kafka). */
  kafka?: TestDriverOptions['kafka'];
  /** Called as each case ends, for output while the file runs. */
  onCase?: (file: string, result: CaseResult) => void;
}

export async function runTestFile(file: string, options: RunFileOptions = {}): Promise<FileResult> {
  const read = await readTestFile(file);
  if (read.testFile === undefined) return { file, problems: read.problems, cases: [] };
  const { testFile } = read;
  const env = { ...process.env, ...testFile.env };
  let ctx: CaseContext;
  try {
    const topology = await loadTopology(testFile.topology, { env });
    ctx = { topology, env: testFile.env, ...(options.logger !== undefined ? { logger: options.logger } : {}), ...(options.kafka !== undefined ? { kafka: options.kafka } : {}) };
  } catch (err) {
    if (err instanceof TopologyValidationError) return { file, problems: [...err.problems], cases: [] };
    throw err;
  }
  const problems = testFile.cases.flatMap((spec, i) => checkTargets(ctx.topology, spec, i).map((p) => read.place(p.path, p.message)));
  if (problems.length > 0) return { file, problems, cases: [] };
  const cases: CaseResult[] = [];
  const { faults } = options;
  for (const spec of testFile.cases) {
    const started = performance.now();
    const skipped = faults !== undefined ? faultsUnsupported(ctx.topology, spec) : undefined;
    let failures: Failure[] = [];
    let crashes: number | undefined;
    try {
      if (faults === undefined) failures = await runChecked(ctx, spec);
      else if (skipped === undefined) ({ failures, crashes } = await runCaseWithFaults(ctx, spec, faults));
    } catch (err) {
      failures = [{ message: isSluiceError(err) ? `${err.code}: ${err.message}` : String(err) }];
    }
    const result: CaseResult = {
      name: spec.name,
      line: spec.line,
      passed: failures.length === 0,
      failures,
      durationMs: performance.now() - started,
      ...(skipped !== undefined ? { skipped } : {}),
      ...(crashes !== undefined ? { crashes } : {}),
    };
    cases.push(result);
    options.onCase?.(file, result);
  }
  return { file, problems: [], cases };
}

/** 2 when a test file could not be run, else 1 when a case failed, else 0. */
export function exitCodeOf(results: readonly FileResult[]): number {
  if (results.some((r) => r.problems.length > 0)) return 2;
  return results.some((r) => r.cases.some((c) => !c.passed)) ? 1 : 0;
}
