/**
 * Runs one test case on a test driver of its own (a fresh embedded broker):
 * the case's records sent by topic or node, in the order written, one settle
 * (so one commit: a global window's table updates do not depend on timing),
 * event time moved on by `advance`, then what its topics, file and stdout
 * sinks and dead-letter topics hold read back for matching.
 */
import type { Logger } from '../core/index.ts';
import type { DeadLetter } from '../runtime/index.ts';
import type { Topology } from '../topology/index.ts';
import { TopologyTestDriver, type TestDriverOptions } from './driver.ts';
import type { OutputRecord } from './match.ts';
import type { TestCaseSpec } from './test-file.ts';

/** What a case's run left, by the names its expectations use. */
export interface CaseOutputs {
  /** By topic, or by the id of a node with a file or stdout sink. */
  records: Map<string, OutputRecord[]>;
  /** By the name under expect-dead-letters. */
  deadLetters: Map<string, DeadLetter[]>;
}

export interface CaseContext {
  topology: Topology;
  env: Record<string, string>;
  logger?: Logger;
  kafka?: TestDriverOptions['kafka'];
}

/** A fresh driver for one case (one run of it). */
export function caseDriver(ctx: CaseContext): Promise<TopologyTestDriver> {
  return TopologyTestDriver.of(ctx.topology, { env: ctx.env, ...(ctx.logger !== undefined ? { logger: ctx.logger } : {}), ...(ctx.kafka !== undefined ? { kafka: ctx.kafka } : {}) });
}

export async function runCase(ctx: CaseContext, spec: TestCaseSpec): Promise<CaseOutputs> {
  const driver = await caseDriver(ctx);
  try {
    for (const [name, records] of Object.entries(spec.input)) await driver.input(name).send(records, { settle: false });
    await driver.settle();
    if (spec.advance !== undefined) await driver.advanceTime(spec.advance);
    const records = new Map<string, OutputRecord[]>();
    for (const name of Object.keys(spec.expect)) {
      const lines = ctx.topology.topics[name] === undefined ? (await driver.sinkLines(name)).map((value, i) => ({ key: null, value, headers: {}, partition: 0, offset: String(i), timestamp: 0 })) : undefined;
      records.set(name, lines ?? (await driver.output(name).read()));
    }
    const deadLetters = new Map<string, DeadLetter[]>();
    for (const name of Object.keys(spec.expectDeadLetters)) deadLetters.set(name, await driver.deadLetters(name));
    return { records, deadLetters };
  } finally {
    await driver.close();
  }
}
