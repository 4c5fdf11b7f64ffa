/**
 * `sluice test --faults`: each case runs twice on the test driver, once
 * plainly and once with every stage crashed after every k input records,
 * once those have gone as far through the topology as they can before a
 * commit (what was not committed is dropped, and the stages restart from
 * their committed offsets and changelogs), and what the topology wrote must
 * agree:
 *
 * - a topic an exactly-once stage writes: equal;
 * - a compacted topic (a table): the same latest value per key, since a
 *   table's updates are emitted on commit and crashes move commits;
 * - any other topic, and the dead-letter topics: the same records per key in
 *   the same order, with extra records only as exact repeats of earlier ones
 *   (at-least-once);
 * - one more kind of extra dead letter, at-least-once: a record dead-lettered
 *   as late whose input record is itself a repeat. An upstream stage that
 *   crashed wrote it again, and the copy came after its window (or join
 *   window) had closed, as it would on Kafka; the first copy was processed.
 *
 * Input goes in by topic or through a file source node (whose position is
 * crashed and restored too); a stdin source cannot be restarted, so a case
 * that feeds one is skipped.
 */
import { isDeepStrictEqual } from 'node:util';
import { ErrorCodes } from '../core/index.ts';
import type { Topology } from '../topology/index.ts';
import { deadLetterTopicOf } from '../runtime/index.ts';
import { caseDriver, type CaseContext } from './case-run.ts';
import type { TopologyTestDriver } from './driver.ts';
import type { Failure } from './suite.ts';
import type { InputRecordSpec, TestCaseSpec } from './test-file.ts';

export interface FaultOptions {
  /** Crash every stage after every this many input records. */
  every: number;
}

/** What a case's outputs are compared on: the topics its stages write (not their repartition topics), and their dead-letter topics. */
function outputTopics(topology: Topology, spec: TestCaseSpec): { topics: string[]; deadLetters: Set<string> } {
  const deadLetters = new Set(topology.nodes.map((n) => deadLetterTopicOf(topology, n)));
  const topics = new Set(topology.nodes.flatMap((n) => n.writes).filter((t) => topology.topics[t]?.repartition !== true && spec.input[t] === undefined));
  for (const t of deadLetters) topics.add(t);
  return { topics: [...topics], deadLetters };
}

async function feed(driver: TopologyTestDriver, spec: TestCaseSpec, faults: FaultOptions | undefined): Promise<number> {
  const inputs: Array<{ topic: string; record: InputRecordSpec }> = Object.entries(spec.input).flatMap(([topic, records]) => records.map((record) => ({ topic, record })));
  const every = faults?.every ?? inputs.length;
  let crashes = 0;
  for (let at = 0; at < inputs.length; at += every) {
    for (const { topic, record } of inputs.slice(at, at + every)) await driver.input(topic).send(record, { settle: false });
    if (faults !== undefined) {
      // Work done and not committed yet: all of it is lost and done again.
      await driver.quiesce();
      await driver.crashAll();
      crashes++;
    }
  }
  await driver.settle();
  if (spec.advance !== undefined) await driver.advanceTime(spec.advance);
  return crashes;
}

export type WrittenRecord = { key: string | null; value: unknown; /** A dead letter's: the topic its record was read from. */ from?: string | undefined };

/**
 * What a run wrote, by topic as the topology file names it (each run on Kafka has a namespace of its own);
 * a dead letter as what it is about: the stage, the code and the original record.
 */
async function written(driver: TopologyTestDriver, spec: TestCaseSpec): Promise<Map<string, WrittenRecord[]>> {
  const { topics, deadLetters } = outputTopics(driver.topology, spec);
  const out = new Map<string, WrittenRecord[]>();
  for (const topic of topics) {
    const records: WrittenRecord[] = deadLetters.has(topic)
      ? (await driver.deadLetters(topic)).map((d) => ({ key: d.key, value: { stage: d.stage, code: d.code, value: d.value }, from: d.original.topic?.slice(driver.namespace.length) }))
      : (await driver.output(topic).read()).map((r) => ({ key: r.key, value: r.value }));
    out.set(topic.slice(driver.namespace.length), records);
  }
  return out;
}

const same = (a: WrittenRecord, b: WrittenRecord): boolean => a.key === b.key && isDeepStrictEqual(a.value, b.value);

function describe(r: WrittenRecord): string {
  return JSON.stringify({ key: r.key, value: r.value });
}

/** The records of one key, in order: `faulty` must be `clean` with exact repeats of earlier records added. */
function inOrderWithRepeats(clean: readonly WrittenRecord[], faulty: readonly WrittenRecord[]): string | undefined {
  let next = 0;
  for (const r of faulty) {
    if (next < clean.length && same(r, clean[next]!)) next++;
    else if (!clean.slice(0, next).some((e) => same(e, r))) return `unexpected ${describe(r)}`;
  }
  return next < clean.length ? `missing ${describe(clean[next]!)}` : undefined;
}

/** Keyless records: spread over partitions afresh by each run, so only what they are is compared, not where. */
function sameWithRepeats(clean: readonly WrittenRecord[], faulty: readonly WrittenRecord[]): string | undefined {
  const extra = faulty.find((r) => !clean.some((c) => same(c, r)));
  if (extra !== undefined) return `unexpected ${describe(extra)}`;
  const missing = clean.find((c) => !faulty.some((r) => same(c, r)));
  return missing === undefined ? undefined : `missing ${describe(missing)}`;
}

function byKey(records: readonly WrittenRecord[]): Map<string | null, WrittenRecord[]> {
  const out = new Map<string | null, WrittenRecord[]>();
  for (const r of records) out.set(r.key, [...(out.get(r.key) ?? []), r]);
  return out;
}

/** At-least-once: per key, the same records in the same order, extra records only as exact repeats. */
function atLeastOnceDifference(clean: readonly WrittenRecord[], faulty: readonly WrittenRecord[]): string | undefined {
  const want = byKey(clean);
  const got = byKey(faulty);
  for (const key of new Set([...want.keys(), ...got.keys()])) {
    const diff = (key === null ? sameWithRepeats : inOrderWithRepeats)(want.get(key) ?? [], got.get(key) ?? []);
    if (diff !== undefined) return diff;
  }
  return undefined;
}

function latestPerKey(records: readonly WrittenRecord[]): Map<string | null, unknown> {
  return new Map(records.map((r) => [r.key, r.value]));
}

function difference(topology: Topology, topic: string, clean: readonly WrittenRecord[], faulty: readonly WrittenRecord[]): string | undefined {
  const writers = topology.nodes.filter((n) => n.writes.includes(topic));
  if (writers.length > 0 && writers.every((n) => n.guarantee === 'exactly-once')) {
    return isDeepStrictEqual(clean.map(({ key, value }) => ({ key, value })), faulty.map(({ key, value }) => ({ key, value }))) ? undefined : 'not equal, though every stage writing it is exactly-once';
  }
  if (topology.topics[topic]?.cleanup === 'compact') {
    const a = latestPerKey(clean);
    const b = latestPerKey(faulty);
    for (const [key, value] of a) if (!isDeepStrictEqual(b.get(key), value)) return `latest of key ${JSON.stringify(key)} is ${JSON.stringify(b.get(key))}, not ${JSON.stringify(value)}`;
    for (const key of b.keys()) if (!a.has(key)) return `key ${JSON.stringify(key)} is not in the run without faults`;
    return undefined;
  }
  return atLeastOnceDifference(clean, faulty);
}

/** A dead letter's record as its topic holds it: JSON values are compared decoded. */
function deadRecord(r: WrittenRecord): WrittenRecord {
  const text = (r.value as { value: string | null }).value;
  try {
    return { key: r.key, value: text === null ? null : JSON.parse(text) };
  } catch {
    return { key: r.key, value: text };
  }
}

/** A late dead letter of a record that its (faulty) input topic holds more than once: a repeat met after its window closed. */
function lateRepeat(r: WrittenRecord, out: ReadonlyMap<string, readonly WrittenRecord[]>): boolean {
  if ((r.value as { code?: string }).code !== ErrorCodes.LATE_RECORD || r.from === undefined) return false;
  const record = deadRecord(r);
  return (out.get(r.from) ?? []).filter((c) => same(c, record)).length > 1;
}

/**
 * How the faulty run's outputs differ from the clean run's, topic by topic (the rules above); `out` maps a topic as
 * the topology file names it to what the run wrote, a dead letter's value as `{ stage, code, value }`.
 */
export function runDifferences(
  topology: Topology,
  namespace: string,
  clean: ReadonlyMap<string, readonly WrittenRecord[]>,
  faulty: ReadonlyMap<string, readonly WrittenRecord[]>,
  every: number,
): Failure[] {
  const failures: Failure[] = [];
  const deadLetters = new Set(topology.nodes.map((n) => deadLetterTopicOf(topology, n).slice(namespace.length)));
  for (const [topic, records] of clean) {
    const got = faulty.get(topic) ?? [];
    const diff = difference(topology, namespace + topic, records, deadLetters.has(topic) ? got.filter((r) => !lateRepeat(r, faulty)) : got);
    if (diff !== undefined) failures.push({ target: topic, message: `${topic} with a crash every ${every} records: ${diff}` });
  }
  return failures;
}

/** Why a case cannot run with faults, if it cannot. */
export function faultsUnsupported(topology: Topology, spec: TestCaseSpec): string | undefined {
  const stdin = Object.keys(spec.input).filter((name) => topology.nodes.some((n) => n.id === name && n.input.kind === 'stdin'));
  return stdin.length > 0 ? `input through stdin (${stdin.join(', ')}), which cannot be restarted` : undefined;
}

export async function runCaseWithFaults(ctx: CaseContext, spec: TestCaseSpec, options: FaultOptions): Promise<{ failures: Failure[]; crashes: number }> {
  const run = async (faults: FaultOptions | undefined) => {
    const driver = await caseDriver(ctx);
    try {
      const crashes = await feed(driver, spec, faults);
      return { crashes, out: await written(driver, spec), topology: driver.topology, namespace: driver.namespace };
    } finally {
      await driver.close();
    }
  };
  const clean = await run(undefined);
  const faulty = await run(options);
  const failures = runDifferences(clean.topology, clean.namespace, clean.out, faulty.out, options.every);
  return { failures, crashes: faulty.crashes };
}
